using RunMesh.Contracts;
using ContractRunState = RunMesh.Contracts.RunState;

namespace RunMesh.Orchestrator.Runs;

/// <summary>What a <see cref="RunStep"/> decided about a run; each outcome leads to one state (<see cref="RunTransitions.TargetOf"/>).</summary>
public enum RunOutcome
{
    /// <summary>A phase's first attempt was sent (the run's first phase, or the next one after a phase was accepted).</summary>
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
}

/// <summary>A message (an event of <see cref="RunStateMachine"/>, by name) that, handled in <see cref="From"/>, may end in each of <see cref="Outcomes"/>.</summary>
public sealed record RunTransition(ContractRunState From, string Event, IReadOnlyList<RunOutcome> Outcomes);

/// <summary>
/// The one place that says where each decision of <see cref="RunStep"/> leads. <see cref="RunStateMachine"/> moves a run
/// to the target its step decided at run time (<c>MoveToTarget</c>), which MassTransit's graph cannot see; this table is
/// what the step uses to pick that target, what it checks every decision against (a decision missing here throws), and
/// what the state diagram in docs/ is rendered from.
/// </summary>
public static class RunTransitions
{
    private static readonly RunOutcome[] s_dispatchFailures = [RunOutcome.BudgetExceeded, RunOutcome.InstructionsUnrenderable, RunOutcome.InstructionsTooLarge];

    /// <summary>Every step of the state machine that can move a run, with the outcomes it can decide.</summary>
    public static IReadOnlyList<RunTransition> All { get; } =
    [
        new(ContractRunState.Pending, nameof(RunStateMachine.Admitted), [RunOutcome.PhaseDispatched, .. s_dispatchFailures]),
        new(ContractRunState.Running, nameof(RunStateMachine.PhaseSucceeded),
            [RunOutcome.PhaseDispatched, RunOutcome.ApprovalRequested, RunOutcome.LastPhaseAccepted,
             // An artifact that does not hash to the digest the worker claims counts as an executor error.
             RunOutcome.RetryScheduled, RunOutcome.RetriesUsedUp, .. s_dispatchFailures]),
        new(ContractRunState.Running, nameof(RunStateMachine.PhaseAttemptFailed),
            [RunOutcome.RepairDispatched, RunOutcome.RetryScheduled, RunOutcome.RepairsUsedUp, RunOutcome.RetriesUsedUp, .. s_dispatchFailures]),
        new(ContractRunState.Running, nameof(RunStateMachine.PhaseTimedOut),
            [RunOutcome.RetryScheduled, RunOutcome.RetriesUsedUp, RunOutcome.BudgetExceeded]),
        new(ContractRunState.Running, nameof(RunStateMachine.RetryDue), [RunOutcome.RetryDispatched, .. s_dispatchFailures]),
        new(ContractRunState.AwaitingApproval, nameof(RunStateMachine.ApprovalDecided),
            [RunOutcome.ApprovalRequested, RunOutcome.PhaseDispatched, RunOutcome.LastPhaseAccepted,
             RunOutcome.ApprovalRejected, RunOutcome.ApprovalExpired, RunOutcome.ApprovalAborted, .. s_dispatchFailures]),
        new(ContractRunState.Pending, nameof(RunStateMachine.CancelRequested), [RunOutcome.Cancelled]),
        new(ContractRunState.Running, nameof(RunStateMachine.CancelRequested), [RunOutcome.Cancelled]),
        new(ContractRunState.AwaitingApproval, nameof(RunStateMachine.CancelRequested), [RunOutcome.Cancelled]),
        new(ContractRunState.Pending, nameof(RunStateMachine.RunTimedOut), [RunOutcome.RunTimedOut]),
        new(ContractRunState.Running, nameof(RunStateMachine.RunTimedOut), [RunOutcome.RunTimedOut]),
        new(ContractRunState.AwaitingApproval, nameof(RunStateMachine.RunTimedOut), [RunOutcome.RunTimedOut]),
        new(ContractRunState.Failed, nameof(RunStateMachine.RetryRequested), [RunOutcome.RunRetried, .. s_dispatchFailures]),
    ];

    /// <summary>The state an outcome leads to.</summary>
    public static ContractRunState TargetOf(RunOutcome outcome) => outcome switch
    {
        RunOutcome.PhaseDispatched or RunOutcome.RepairDispatched or RunOutcome.RetryScheduled or RunOutcome.RetryDispatched
            or RunOutcome.RunRetried => ContractRunState.Running,
        RunOutcome.ApprovalRequested => ContractRunState.AwaitingApproval,
        RunOutcome.LastPhaseAccepted => ContractRunState.Completed,
        RunOutcome.ApprovalAborted => ContractRunState.Aborted,
        RunOutcome.Cancelled => ContractRunState.Cancelled,
        _ => ContractRunState.Failed,
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
        RunOutcome.InstructionsUnrenderable => RunErrorCodes.InstructionsUnrenderable,
        RunOutcome.InstructionsTooLarge => ErrorCodes.InstructionsTooLarge,
        RunOutcome.RepairsUsedUp => ErrorCodes.ArtifactInvalidAfterRepair,
        RunOutcome.RetriesUsedUp => $"{ErrorCodes.ExecutorError} or {ErrorCodes.PhaseTimeout}",
        RunOutcome.ApprovalRejected => ErrorCodes.ApprovalRejected,
        RunOutcome.ApprovalExpired => ErrorCodes.ApprovalExpired,
        RunOutcome.ApprovalAborted => ErrorCodes.ApprovalAborted,
        RunOutcome.Cancelled => $"{RunErrorCodes.RunCancelled}, CancelPhase for an open attempt",
        RunOutcome.RunTimedOut => $"{ErrorCodes.RunTimeout}, CancelPhase for an open attempt",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>Whether the table lets the event, handled in the state (the state machine's name), end in the outcome.</summary>
    public static bool Allows(string fromState, string eventName, RunOutcome outcome) =>
        All.Any(t => t.From.ToString() == fromState && t.Event == eventName && t.Outcomes.Contains(outcome));
}
