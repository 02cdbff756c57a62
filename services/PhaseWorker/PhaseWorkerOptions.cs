using System.ComponentModel.DataAnnotations;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Executors.Http;
using RunMesh.PhaseWorker.Executors.OpenAI;

namespace RunMesh.PhaseWorker;

/// <summary>The phase worker's settings: configuration section <c>PhaseWorker</c>, validated on start.</summary>
internal sealed class PhaseWorkerOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "PhaseWorker";

    /// <summary>The artifact size limit: 256 KiB of canonical JSON by default (docs/executors.md).</summary>
    public const int DefaultMaxArtifactBytes = 256 * 1024;

    /// <summary>This instance's name in results; default <c>{machine}:{pid}</c>.</summary>
    public string? WorkerId { get; set; }

    /// <summary>How many executions this worker runs at once (the <c>phase-worker</c> endpoint's concurrency and prefetch).</summary>
    [Range(1, 1000)]
    public int ConcurrentExecutions { get; set; } = 4;

    /// <summary>The largest artifact accepted, in bytes of canonical JSON; larger ones are <c>invalid_artifact</c>.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxArtifactBytes { get; set; } = DefaultMaxArtifactBytes;

    /// <summary>The timeout used when an <c>ExecutePhase</c> carries none (zero or negative <c>TimeoutSeconds</c>).</summary>
    [Range(1, 7 * 24 * 3600)]
    public int DefaultTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// How long a <c>CancelPhase</c> for an execution this worker is not running is remembered, so that the
    /// <c>ExecutePhase</c> still queued behind it is not started at all.
    /// </summary>
    [Range(0, 24 * 3600)]
    public int CancelledExecutionRetentionSeconds { get; set; } = 600;

    /// <summary>Prices per model name (case-insensitive), e.g. <c>PhaseWorker:Prices:mock:InputPer1kTokens</c>.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [MockModel] = new ModelPrice { InputPer1kTokens = 0.001m, OutputPer1kTokens = 0.002m },
    };

    /// <summary>The <c>openai</c> executor's endpoint.</summary>
    public OpenAIExecutorOptions OpenAI { get; set; } = new();

    /// <summary>The <c>http</c> executor's defaults.</summary>
    public HttpExecutorOptions Http { get; set; } = new();

    /// <summary>The model name the mock executor is priced as.</summary>
    public const string MockModel = "mock";

    /// <summary>The worker id in results.</summary>
    public string ResolveWorkerId() =>
        string.IsNullOrWhiteSpace(WorkerId) ? $"{Environment.MachineName}:{Environment.ProcessId}" : WorkerId;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (model, price) in Prices)
        {
            if (price.InputPer1kTokens < 0 || price.OutputPer1kTokens < 0)
            {
                yield return new ValidationResult($"PhaseWorker:Prices:{model}: prices cannot be negative.", [nameof(Prices)]);
            }
        }

        if (!string.IsNullOrWhiteSpace(OpenAI.BaseUrl) && !IsHttpUrl(OpenAI.BaseUrl))
        {
            yield return new ValidationResult("PhaseWorker:OpenAI:BaseUrl must be an absolute http(s) URL.", ["OpenAI.BaseUrl"]);
        }

        if (OpenAI.RequestTimeoutSeconds is < 1 or > 3600)
        {
            yield return new ValidationResult("PhaseWorker:OpenAI:RequestTimeoutSeconds must be between 1 and 3600.", ["OpenAI.RequestTimeoutSeconds"]);
        }

        if (!string.IsNullOrWhiteSpace(Http.DefaultUrl) && !IsHttpUrl(Http.DefaultUrl))
        {
            yield return new ValidationResult("PhaseWorker:Http:DefaultUrl must be an absolute http(s) URL.", ["Http.DefaultUrl"]);
        }

        for (var i = 0; i < Http.AllowedHosts.Count; i++)
        {
            if (!HostPattern.TryParse(Http.AllowedHosts[i], out _))
            {
                yield return new ValidationResult(
                    $"PhaseWorker:Http:AllowedHosts:{i} ('{Http.AllowedHosts[i]}') is not a host pattern: a host name, *.domain, an IP address ([…] for IPv6) or *, optionally followed by :port or :*.",
                    ["Http.AllowedHosts"]);
            }
        }

        if (Http.RequestTimeoutSeconds is < 1 or > 3600)
        {
            yield return new ValidationResult("PhaseWorker:Http:RequestTimeoutSeconds must be between 1 and 3600.", ["Http.RequestTimeoutSeconds"]);
        }
    }

    /// <summary>Whether <paramref name="value"/> is an absolute http or https URL.</summary>
    public static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
