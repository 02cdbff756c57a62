namespace RunMesh.Contracts;

/// <summary>
/// One phase of a finished run, with everything the provenance manifest records about it (part of <see cref="RunFinished"/>).
/// </summary>
public sealed record PhaseSummary
{
    /// <summary>The phase's key in the template, e.g. <c>spec</c>.</summary>
    public required string Key { get; init; }

    /// <summary>The phase's state when the run finished.</summary>
    public required PhaseState State { get; init; }

    /// <summary>
    /// <c>sha256:…</c> of the rendered instructions. <see langword="null"/> (the default) when the phase was never
    /// dispatched, because its instructions are rendered from earlier artifacts only at dispatch.
    /// </summary>
    public string? InstructionsDigest { get; init; }

    /// <summary><c>sha256:…</c> of the canonical JSON of the phase's artifact schema.</summary>
    public required string SchemaDigest { get; init; }

    /// <summary><c>sha256:…</c> of the accepted artifact's canonical JSON. <see langword="null"/> (the default) when no artifact was accepted.</summary>
    public string? ArtifactDigest { get; init; }

    /// <summary>Every attempt of the phase, in attempt order. Default empty.</summary>
    public IReadOnlyList<AttemptSummary> Attempts { get; init; } = [];

    /// <summary>
    /// Every approval decision applied at the phase's gates, in the order they were applied (across retries of the run).
    /// Default empty (also from an older orchestrator, which did not send them).
    /// </summary>
    public IReadOnlyList<ApprovalSummary> Approvals { get; init; } = [];
}
