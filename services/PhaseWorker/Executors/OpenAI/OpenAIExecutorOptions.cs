namespace RunMesh.PhaseWorker.Executors.OpenAI;

/// <summary>The OpenAI-compatible endpoint: <c>PhaseWorker:OpenAI</c>.</summary>
internal sealed class OpenAIExecutorOptions
{
    /// <summary>The API's base URL, e.g. <c>https://api.openai.com/v1</c>; <c>/chat/completions</c> is appended.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer …</c>. A secret: never logged, never in a result.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model when the run's <c>model.name</c> is missing.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>The HTTP request's own timeout (the phase's <c>timeoutSeconds</c> applies as well).</summary>
    public int RequestTimeoutSeconds { get; set; } = 300;
}
