namespace RunMesh.Approval.Approvals;

/// <summary>
/// One approval request (table <c>approval_requests</c>): what the orchestrator asked in
/// <see cref="Contracts.ApprovalRequested"/>, and what became of it. Rows are never deleted.
/// </summary>
public sealed class ApprovalRequestRow
{
    /// <summary>The request's id (<see cref="Contracts.ApprovalRequested.RequestId"/>).</summary>
    public Guid RequestId { get; set; }

    /// <summary>Insertion order, the keyset of the list endpoint's cursor.</summary>
    public long Seq { get; set; }

    /// <summary><c>{RunId}:{PhaseKey}:{Attempt}:{Gate}</c>, unique: a request asked twice is stored once.</summary>
    public string IdempotencyKey { get; set; } = "";

    /// <summary>The run waiting on the decision.</summary>
    public Guid RunId { get; set; }

    /// <summary>The run generation the request belongs to (the generation its run's next RunFinished carries).</summary>
    public int Generation { get; set; }

    /// <summary>The phase whose artifact is to be decided on.</summary>
    public string PhaseKey { get; set; } = "";

    /// <summary>The attempt that produced the artifact.</summary>
    public int Attempt { get; set; }

    /// <summary>The gate's name in the template.</summary>
    public string Gate { get; set; } = "";

    /// <summary><c>sha256:…</c> of the artifact.</summary>
    public string ArtifactDigest { get; set; } = "";

    /// <summary>The artifact (or its shortened form) as JSON text, for the approver to read.</summary>
    public string? ArtifactPreview { get; set; }

    /// <summary>When the request expires unanswered; <see langword="null"/> for never.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>When the request was stored.</summary>
    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>One of <see cref="ApprovalStates"/>.</summary>
    public string State { get; set; } = ApprovalStates.Pending;

    /// <summary>Who decided; <see langword="null"/> while pending, and for an expiry or a closed request.</summary>
    public string? DecidedBy { get; set; }

    /// <summary>The approver's comment.</summary>
    public string? Comment { get; set; }

    /// <summary>When the request left <see cref="ApprovalStates.Pending"/> (decided, expired or closed).</summary>
    public DateTimeOffset? DecidedAt { get; set; }
}

/// <summary>
/// A run that finished (table <c>run_endings</c>): the highest <see cref="Contracts.RunFinished.Generation"/> seen, so a
/// request that arrives after its run ended is stored closed, whatever order the two messages arrive in.
/// </summary>
public sealed class RunEndingRow
{
    /// <summary>The run.</summary>
    public Guid RunId { get; set; }

    /// <summary>The highest generation that finished.</summary>
    public int Generation { get; set; }

    /// <summary>When it was recorded (or raised).</summary>
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>The states of an approval request, as stored and as the API shows them.</summary>
public static class ApprovalStates
{
    /// <summary>Waiting for a decision.</summary>
    public const string Pending = "pending";

    /// <summary>An approver approved it.</summary>
    public const string Approved = "approved";

    /// <summary>An approver rejected it (the run fails).</summary>
    public const string Rejected = "rejected";

    /// <summary>An approver aborted the run.</summary>
    public const string Aborted = "aborted";

    /// <summary>Nobody decided before <see cref="ApprovalRequestRow.ExpiresAt"/>.</summary>
    public const string Expired = "expired";

    /// <summary>Its run ended first (cancelled, failed, timed out); nothing can be decided any more.</summary>
    public const string Closed = "closed";

    /// <summary>Every state, for validating a filter.</summary>
    public static readonly IReadOnlyList<string> All = [Pending, Approved, Rejected, Aborted, Expired, Closed];
}
