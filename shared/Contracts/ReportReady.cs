namespace RunMesh.Contracts;

/// <summary>
/// Event: the report and provenance manifest of a run's generation are written. Published by the report service,
/// consumed by the orchestrator, which then shows the report's URL to every client.
/// </summary>
public sealed record ReportReady
{
    /// <summary>The reported run. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The generation reported on (<see cref="RunFinished.Generation"/>).</summary>
    public required int Generation { get; init; }

    /// <summary>The report's gateway-relative path, e.g. <c>/api/runs/{runId}/report</c>.</summary>
    public required string ReportUrl { get; init; }

    /// <summary><c>sha256:…</c> of the manifest's canonical JSON; it never changes once sent.</summary>
    public required string ManifestDigest { get; init; }
}
