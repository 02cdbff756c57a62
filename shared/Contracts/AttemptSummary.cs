namespace RunMesh.Contracts;

/// <summary>
/// One attempt of a phase, as recorded by the orchestrator (part of <see cref="PhaseSummary"/> in <see cref="RunFinished"/>).
/// </summary>
public sealed record AttemptSummary
{
    /// <summary>The attempt number, starting at 1 and counting on across repairs, retries and run retries.</summary>
    public required int Attempt { get; init; }

    /// <summary>The unique id of this attempt's execution (<see cref="ExecutePhase.ExecutionId"/>).</summary>
    public required Guid ExecutionId { get; init; }

    /// <summary>How the attempt ended.</summary>
    public required AttemptOutcome Outcome { get; init; }

    /// <summary>Why the attempt failed. <see langword="null"/> (the default) for a succeeded or cancelled attempt.</summary>
    public FailureKind? ErrorKind { get; init; }

    /// <summary>When the executor started, as the worker reported it; the dispatch time when no worker reported (a lost or cancelled attempt).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the attempt ended, as the worker reported it; the time the orchestrator recorded the outcome when no worker reported.</summary>
    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>What the attempt consumed. Default zero usage (also for attempts no worker reported on).</summary>
    public Usage Usage { get; init; } = new();
}
