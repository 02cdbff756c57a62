namespace RunMesh.PhaseWorker.Executors.Http;

/// <summary>The <c>http</c> executor's defaults: <c>PhaseWorker:Http</c>.</summary>
internal sealed class HttpExecutorOptions
{
    /// <summary>The URL used when a phase's <c>settings.url</c> is missing.</summary>
    public string? DefaultUrl { get; set; }

    /// <summary>The HTTP request's own timeout (the phase's <c>timeoutSeconds</c> applies as well).</summary>
    public int RequestTimeoutSeconds { get; set; } = 300;
}
