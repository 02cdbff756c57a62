namespace RunMesh.Contracts;

/// <summary>
/// Event: an approval request was decided. Published by the approval service, consumed by the orchestrator, which
/// ignores a decision for another attempt or digest than the one it waits on.
/// </summary>
public sealed record ApprovalDecided
{
    /// <summary>The decided request (<see cref="ApprovalRequested.RequestId"/>).</summary>
    public required Guid RequestId { get; init; }

    /// <summary>The run waiting for the decision. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The phase whose artifact was decided on.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt that produced the artifact.</summary>
    public required int Attempt { get; init; }

    /// <summary>The gate's name in the template.</summary>
    public required string Gate { get; init; }

    /// <summary><c>sha256:…</c> of the artifact that was decided on.</summary>
    public required string ArtifactDigest { get; init; }

    /// <summary>The decision. <see cref="ApprovalAction.Expire"/> is sent only by the approval service's expiry scan.</summary>
    public required ApprovalAction Action { get; init; }

    /// <summary>Who decided (an identity name). <see langword="null"/> (the default) for an expiry, which nobody decided.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>The approver's comment. <see langword="null"/> (the default) when none was given.</summary>
    public string? Comment { get; init; }

    /// <summary>When the decision was taken.</summary>
    public required DateTimeOffset DecidedAt { get; init; }
}
