namespace RunMesh.PhaseWorker.Executors.Http;

/// <summary>The <c>http</c> executor's defaults: <c>PhaseWorker:Http</c>.</summary>
internal sealed class HttpExecutorOptions
{
    /// <summary>The URL used when a phase's <c>settings.url</c> is missing.</summary>
    public string? DefaultUrl { get; set; }

    /// <summary>
    /// The hosts and ports a phase's URL may name (<see cref="HostPattern"/>: <c>api.example.com</c>,
    /// <c>*.example.com:443</c>, <c>127.0.0.1:*</c>). Empty, the default: the executor calls nothing. Link-local and
    /// cloud metadata addresses are refused even when a pattern matches them.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>The HTTP request's own timeout (the phase's <c>timeoutSeconds</c> applies as well).</summary>
    public int RequestTimeoutSeconds { get; set; } = 300;
}
