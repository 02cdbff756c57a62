using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Event: a phase's accepted artifact waits for a human decision at a gate. Published by the orchestrator, consumed
/// by the approval service, which answers with <see cref="ApprovalDecided"/>.
/// </summary>
/// <remarks>
/// A request that arrives after its run's <see cref="RunFinished"/> of the same or a later <see cref="Generation"/>
/// is stored closed.
/// </remarks>
public sealed record ApprovalRequested
{
    /// <summary>The approval request's id.</summary>
    public required Guid RequestId { get; init; }

    /// <summary>The run waiting for the decision. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>
    /// The generation of the run this request belongs to: the <see cref="RunFinished.Generation"/> the run's next
    /// <see cref="RunFinished"/> will carry (1 before the run first finishes, 2 after a retry, …).
    /// </summary>
    public required int Generation { get; init; }

    /// <summary>The phase whose artifact is to be approved.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt that produced the artifact.</summary>
    public required int Attempt { get; init; }

    /// <summary>The gate's name in the template, e.g. <c>spec-approval</c>.</summary>
    public required string Gate { get; init; }

    /// <summary><c>sha256:…</c> of the artifact to approve; the decision must name the same digest.</summary>
    public required string ArtifactDigest { get; init; }

    /// <summary>The artifact, or a shortened form of it, for the approver to read. <see langword="null"/> (the default) when none is sent.</summary>
    public JsonNode? ArtifactPreview { get; init; }

    /// <summary>When the request expires unanswered (the run then fails with <see cref="ErrorCodes.ApprovalExpired"/>). <see langword="null"/> (the default): it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The request's domain key, <c>{RunId}:{PhaseKey}:{Attempt}:{Gate}</c>, so a redelivered request is stored once.</summary>
    public required string IdempotencyKey { get; init; }
}
