using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs.Children;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>What <see cref="RunDecider"/> decided about a run; each outcome leads to one state (<see cref="RunTransitions.TargetOf"/>).</summary>
public enum RunOutcome
{
    /// <summary>A phase's first attempt was sent (the run's first phase at admission, or the next one after a phase was accepted).</summary>
    PhaseDispatched,

    /// <summary>An invalid artifact is answered with the next attempt, carrying the validation errors.</summary>
    RepairDispatched,

    /// <summary>An executor error or timeout is answered with a retry after the backoff.</summary>
    RetryScheduled,

    /// <summary>The backoff is over: the retry attempt was sent.</summary>
    RetryDispatched,

    /// <summary>The accepted artifact waits at a gate.</summary>
    ApprovalRequested,

    /// <summary>The last phase was accepted (and approved): the run completed.</summary>
    LastPhaseAccepted,

    /// <summary>A failed run continues from its failed phase (generation + 1).</summary>
    RunRetried,

    /// <summary>Cost or tokens passed the budget.</summary>
    BudgetExceeded,

    /// <summary>The phase's instructions reference a value that does not exist.</summary>
    InstructionsUnrenderable,

    /// <summary>The phase's rendered instructions are over the size limit; nothing is sent.</summary>
    InstructionsTooLarge,

    /// <summary>An invalid artifact after every repair attempt was used.</summary>
    RepairsUsedUp,

    /// <summary>An executor error or timeout after every retry was used.</summary>
    RetriesUsedUp,

    /// <summary>An approver rejected the gate.</summary>
    ApprovalRejected,

    /// <summary>The gate's request expired.</summary>
    ApprovalExpired,

    /// <summary>An approver aborted the run at the gate.</summary>
    ApprovalAborted,

    /// <summary>The run was cancelled; a running executor is told to stop.</summary>
    Cancelled,

    /// <summary>The run's own timeout passed; a running executor is told to stop.</summary>
    RunTimedOut,

    /// <summary>A child run of the open <c>run</c> phase ended; the attempt starts the next child or waits for the others.</summary>
    ChildFinished,
}

/// <summary>A message that, handled in <see cref="From"/>, may move the run to the state of each of <see cref="Outcomes"/>.</summary>
public sealed record RunTransition
{
    public RunTransition(RunState from, Type message, IEnumerable<RunOutcome> outcomes)
    {
        From = from;
        Message = message;
        Outcomes = outcomes.Distinct().ToList();
    }

    public RunState From { get; }

    public Type Message { get; }

    /// <summary>Each outcome once, in the order first listed.</summary>
    public IReadOnlyList<RunOutcome> Outcomes { get; }
}

/// <summary>
/// The decider's transition table: which message may move a run from which state, the outcomes it can decide there, and
/// the state each outcome leads to. <see cref="RunDecider"/> records every other message as <c>message.ignored</c>,
/// takes a decision's target state from <see cref="TargetOf"/>, and its tests check every decision it makes against
/// <see cref="All"/>; the state diagram in docs/ is rendered from it.
/// </summary>
public static class RunTransitions
{
    private static readonly RunOutcome[] s_dispatchFailures = [RunOutcome.BudgetExceeded, RunOutcome.InstructionsUnrenderable, RunOutcome.InstructionsTooLarge];

    // A run phase's attempt may end in the pass that opens it: its forEach is no array (child_failed), or it has no
    // item, or every item's child completed in an earlier attempt (the artifact is assembled at once).
    private static readonly RunOutcome[] s_childAttemptEnds =
        [RunOutcome.RetryScheduled, RunOutcome.RetriesUsedUp, RunOutcome.RepairsUsedUp, RunOutcome.ApprovalRequested, RunOutcome.LastPhaseAccepted, RunOutcome.PhaseDispatched];

    private static readonly RunOutcome[] s_dispatch = [.. s_dispatchFailures, .. s_childAttemptEnds];

    /// <summary>Every move a message can make, with the outcomes it can decide.</summary>
    public static IReadOnlyList<RunTransition> All { get; } =
    [
        // Admission: the run was created Pending from this StartRun, in the same transaction.
        new(RunState.Pending, typeof(StartRun), [RunOutcome.PhaseDispatched, .. s_dispatch]),
        new(RunState.Running, typeof(PhaseSucceeded),
            [RunOutcome.PhaseDispatched, RunOutcome.ApprovalRequested, RunOutcome.LastPhaseAccepted,
             // An artifact that does not hash to the digest the worker claims counts as an executor error.
             RunOutcome.RetryScheduled, RunOutcome.RetriesUsedUp, .. s_dispatch]),
        new(RunState.Running, typeof(PhaseAttemptFailed),
            [RunOutcome.RepairDispatched, RunOutcome.RetryScheduled, RunOutcome.RepairsUsedUp, RunOutcome.RetriesUsedUp, .. s_dispatch]),
        new(RunState.Running, typeof(PhaseTimedOut),
            [RunOutcome.RetryScheduled, RunOutcome.RetriesUsedUp, RunOutcome.BudgetExceeded]),
        new(RunState.Running, typeof(RetryBackoffElapsed), [RunOutcome.RetryDispatched, .. s_dispatch]),
        new(RunState.Running, typeof(ChildRunsFinished),
            [RunOutcome.ChildFinished, RunOutcome.RepairsUsedUp, RunOutcome.RetryScheduled, RunOutcome.RetriesUsedUp, .. s_dispatch]),
        new(RunState.AwaitingApproval, typeof(ApprovalDecided),
            [RunOutcome.ApprovalRequested, RunOutcome.PhaseDispatched, RunOutcome.LastPhaseAccepted,
             RunOutcome.ApprovalRejected, RunOutcome.ApprovalExpired, RunOutcome.ApprovalAborted, .. s_dispatch]),
        new(RunState.Pending, typeof(CancelRun), [RunOutcome.Cancelled]),
        new(RunState.Running, typeof(CancelRun), [RunOutcome.Cancelled]),
        new(RunState.AwaitingApproval, typeof(CancelRun), [RunOutcome.Cancelled]),
        new(RunState.Pending, typeof(RunTimedOut), [RunOutcome.RunTimedOut]),
        new(RunState.Running, typeof(RunTimedOut), [RunOutcome.RunTimedOut]),
        new(RunState.AwaitingApproval, typeof(RunTimedOut), [RunOutcome.RunTimedOut]),
        new(RunState.Failed, typeof(RetryRun), [RunOutcome.RunRetried, .. s_dispatch]),
    ];

    /// <summary>The inputs of the lifecycle: every message type <see cref="RunDecider"/> takes.</summary>
    public static IReadOnlyList<Type> Inputs { get; } = All.Select(t => t.Message).Distinct().ToList();

    /// <summary>The state an outcome leads to.</summary>
    public static RunState TargetOf(RunOutcome outcome) => outcome switch
    {
        RunOutcome.PhaseDispatched or RunOutcome.RepairDispatched or RunOutcome.RetryScheduled or RunOutcome.RetryDispatched
            or RunOutcome.RunRetried or RunOutcome.ChildFinished => RunState.Running,
        RunOutcome.ApprovalRequested => RunState.AwaitingApproval,
        RunOutcome.LastPhaseAccepted => RunState.Completed,
        RunOutcome.ApprovalAborted => RunState.Aborted,
        RunOutcome.Cancelled => RunState.Cancelled,
        _ => RunState.Failed,
    };

    /// <summary>How the outcome reads in the state diagram: what happened, and the run's error code when it ends one.</summary>
    public static string Describe(RunOutcome outcome) => outcome switch
    {
        RunOutcome.PhaseDispatched => "phase dispatched",
        RunOutcome.RepairDispatched => "repair attempt with RepairFeedback",
        RunOutcome.RetryScheduled => "retry after backoff",
        RunOutcome.RetryDispatched => "retry attempt dispatched",
        RunOutcome.ApprovalRequested => "gate reached, ApprovalRequested",
        RunOutcome.LastPhaseAccepted => "last phase accepted",
        RunOutcome.RunRetried => "retried, generation + 1",
        RunOutcome.BudgetExceeded => ErrorCodes.BudgetExceeded,
        RunOutcome.InstructionsUnrenderable => ErrorCodes.InstructionsUnrenderable,
        RunOutcome.InstructionsTooLarge => ErrorCodes.InstructionsTooLarge,
        RunOutcome.RepairsUsedUp => ErrorCodes.ArtifactInvalidAfterRepair,
        RunOutcome.RetriesUsedUp => $"{ErrorCodes.ExecutorError}, {ErrorCodes.PhaseTimeout} or {ErrorCodes.ChildFailed}",
        RunOutcome.ChildFinished => "child run ended",
        RunOutcome.ApprovalRejected => ErrorCodes.ApprovalRejected,
        RunOutcome.ApprovalExpired => ErrorCodes.ApprovalExpired,
        RunOutcome.ApprovalAborted => ErrorCodes.ApprovalAborted,
        RunOutcome.Cancelled => $"{ErrorCodes.RunCancelled}, CancelPhase for an open attempt",
        RunOutcome.RunTimedOut => $"{ErrorCodes.RunTimeout}, CancelPhase for an open attempt",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>Whether <paramref name="message"/> may move a run in <paramref name="state"/> (else it is recorded as ignored).</summary>
    public static bool Moves(RunState state, Type message) => All.Any(t => t.From == state && t.Message == message);

    /// <summary>Whether the table lets <paramref name="message"/>, handled in <paramref name="state"/>, end in <paramref name="outcome"/>.</summary>
    public static bool Allows(RunState state, Type message, RunOutcome outcome) =>
        All.Any(t => t.From == state && t.Message == message && t.Outcomes.Contains(outcome));
}
