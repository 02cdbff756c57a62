namespace RunMesh.Contracts;

/// <summary>
/// The types of the events appended to a run's event log (<see cref="RunEventSummary.Type"/>, the REST event
/// list and the Server-Sent Events stream), spelled once for every service.
/// </summary>
public static class RunEventTypes
{
    /// <summary>A run was admitted.</summary>
    public const string RunCreated = "run.created";

    /// <summary>A start request was answered with an existing completed or in-flight run.</summary>
    public const string RunDeduplicated = "run.deduplicated";

    /// <summary>The run started executing its phases.</summary>
    public const string RunStarted = "run.started";

    /// <summary>An attempt of a phase was sent to the workers (<see cref="ExecutePhase"/>).</summary>
    public const string PhaseDispatched = "phase.dispatched";

    /// <summary>An attempt produced a valid artifact (<see cref="Contracts.PhaseSucceeded"/>).</summary>
    public const string PhaseSucceeded = "phase.succeeded";

    /// <summary>An attempt failed (<see cref="Contracts.PhaseAttemptFailed"/>).</summary>
    public const string PhaseAttemptFailed = "phase.attempt_failed";

    /// <summary>An attempt passed its deadline (<see cref="Contracts.PhaseTimedOut"/>).</summary>
    public const string PhaseTimedOut = "phase.timed_out";

    /// <summary>A retry of a phase was scheduled after a backoff.</summary>
    public const string PhaseRetryScheduled = "phase.retry_scheduled";

    /// <summary>An approval was requested at a gate (<see cref="Contracts.ApprovalRequested"/>).</summary>
    public const string ApprovalRequested = "approval.requested";

    /// <summary>An approval decision was applied (<see cref="Contracts.ApprovalDecided"/>).</summary>
    public const string ApprovalDecided = "approval.decided";

    /// <summary>Terminal: the run completed.</summary>
    public const string RunCompleted = "run.completed";

    /// <summary>Terminal: the run failed.</summary>
    public const string RunFailed = "run.failed";

    /// <summary>Terminal: the run was aborted.</summary>
    public const string RunAborted = "run.aborted";

    /// <summary>Terminal: the run was cancelled.</summary>
    public const string RunCancelled = "run.cancelled";

    /// <summary>A failed run was retried from its failed phase.</summary>
    public const string RunRetried = "run.retried";

    /// <summary>The run's report for a generation is ready (<see cref="Contracts.ReportReady"/>).</summary>
    public const string ReportReady = "report.ready";

    /// <summary>A <c>run</c> phase started a child run (<c>{phaseKey, attempt, index, childRunId}</c>).</summary>
    public const string ChildStarted = "child.started";

    /// <summary>A child run of a <c>run</c> phase ended (<c>{phaseKey, attempt, index, childRunId, state, errorCode?}</c>).</summary>
    public const string ChildFinished = "child.finished";

    /// <summary>A message for another attempt or execution, or for a phase already done, was recorded and otherwise ignored.</summary>
    public const string MessageIgnored = "message.ignored";
}
