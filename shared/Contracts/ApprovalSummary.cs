namespace RunMesh.Contracts;

/// <summary>
/// One approval decision the run applied at a gate of a phase: who decided what, when, and why (part of
/// <see cref="PhaseSummary"/> in <see cref="RunFinished"/>, and of the provenance manifest).
/// </summary>
public sealed record ApprovalSummary
{
    /// <summary>The decided request (<see cref="ApprovalRequested.RequestId"/>).</summary>
    public required Guid RequestId { get; init; }

    /// <summary>The gate's name in the template.</summary>
    public required string Gate { get; init; }

    /// <summary>The attempt whose artifact was decided on.</summary>
    public required int Attempt { get; init; }

    /// <summary><c>sha256:…</c> of the artifact that was decided on.</summary>
    public required string ArtifactDigest { get; init; }

    /// <summary>The decision: approve, reject, abort, or expire (nobody decided before the gate expired).</summary>
    public required ApprovalAction Action { get; init; }

    /// <summary>Who decided (the approver's identity). <see langword="null"/> (the default) for an expiry.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>When the approver decided (for an expiry: when the approval service expired the request).</summary>
    public required DateTimeOffset DecidedAt { get; init; }

    /// <summary>The approver's comment. <see langword="null"/> (the default) when none was given.</summary>
    public string? Comment { get; init; }
}
