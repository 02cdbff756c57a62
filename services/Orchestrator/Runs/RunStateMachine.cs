using MassTransit;
using RunMesh.Contracts;
using ContractRunState = RunMesh.Contracts.RunState;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// The run lifecycle of DESIGN.md: <c>Pending → Running → (AwaitingApproval ↔ Running) → Completed | Failed | Aborted |
/// Cancelled</c>. Terminal states are not MassTransit's <c>Final</c>: the row stays as the run's permanent record, still
/// receives <see cref="ReportReady"/> (recorded by <see cref="ReportReadyConsumer"/> without loading the saga), and a
/// failed run can be retried. Admission creates the row in <see cref="Pending"/>
/// and takes the <see cref="Admitted"/> step itself, in the same transaction (<c>RunStep.ForAdmission</c>); the event
/// stays for rows an earlier version left <see cref="Pending"/> with a <see cref="RunAdmitted"/> on its way. No message
/// creates a run here. What each message does is in <see cref="RunStep"/>;
/// where it can lead, in <see cref="RunTransitions"/> (rendered into docs/run-lifecycle-diagram.md by a test).
/// </summary>
public sealed class RunStateMachine : MassTransitStateMachine<RunRecord>
{
    public RunStateMachine()
    {
        Event(() => Admitted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => PhaseSucceeded, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PhaseAttemptFailed, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PhaseTimedOut, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RetryDue, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RunTimedOut, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ApprovalDecided, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => CancelRequested, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RetryRequested, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });

        InstanceState(x => x.CurrentState);

        During(Pending,
            When(Admitted).Step((step, _) => step.StartAsync()).MoveToTarget(this));

        During(Running,
            When(PhaseSucceeded).Step((step, c) => step.AcceptResultAsync(c.Message, c.MessageId)).MoveToTarget(this),
            When(PhaseAttemptFailed).Step((step, c) => step.RecordFailureAsync(c.Message, c.MessageId)).MoveToTarget(this),
            When(PhaseTimedOut).Step((step, c) => step.RecordTimeoutAsync(c.Message, c.MessageId)).MoveToTarget(this),
            When(RetryDue).Step((step, c) => step.DispatchRetryAsync(c.Message, c.MessageId)).MoveToTarget(this));

        During(AwaitingApproval,
            When(ApprovalDecided).Step((step, c) => step.ApplyDecisionAsync(c.Message, c.MessageId)).MoveToTarget(this));

        During(Pending, Running, AwaitingApproval,
            When(CancelRequested).Step((step, c) => step.CancelAsync(c.Message)).MoveToTarget(this),
            When(RunTimedOut).Step((step, c) => step.TimeOutAsync(c.Message, c.MessageId)).MoveToTarget(this));

        During(Failed,
            When(RetryRequested).Step((step, c) => step.RetryAsync(c.Message, c.MessageId)).MoveToTarget(this));

        // Everything else — a late result, a decision for an attempt the run no longer waits on, a cancel of a finished
        // run — is recorded as message.ignored and otherwise ignored (DESIGN.md Run lifecycle step 4).
        During([Pending, AwaitingApproval, Completed, Failed, Aborted, Cancelled],
            When(PhaseSucceeded).Ignored(), When(PhaseAttemptFailed).Ignored(), When(PhaseTimedOut).Ignored(), When(RetryDue).Ignored());
        During([Pending, Running, Completed, Failed, Aborted, Cancelled],
            When(ApprovalDecided).IgnoredDecision());
        During([Running, AwaitingApproval, Completed, Failed, Aborted, Cancelled],
            When(Admitted).Ignored());
        During(Completed, Failed, Aborted, Cancelled,
            When(CancelRequested).Ignored(), When(RunTimedOut).Ignored());
        During([Pending, Running, AwaitingApproval, Completed, Aborted, Cancelled],
            When(RetryRequested).Ignored());
    }

    public State Pending { get; private set; } = null!;

    public State Running { get; private set; } = null!;

    public State AwaitingApproval { get; private set; } = null!;

    public State Completed { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public State Aborted { get; private set; } = null!;

    public State Cancelled { get; private set; } = null!;

    public Event<RunAdmitted> Admitted { get; private set; } = null!;

    public Event<PhaseSucceeded> PhaseSucceeded { get; private set; } = null!;

    public Event<PhaseAttemptFailed> PhaseAttemptFailed { get; private set; } = null!;

    public Event<PhaseTimedOut> PhaseTimedOut { get; private set; } = null!;

    public Event<RetryBackoffElapsed> RetryDue { get; private set; } = null!;

    public Event<RunTimedOut> RunTimedOut { get; private set; } = null!;

    public Event<ApprovalDecided> ApprovalDecided { get; private set; } = null!;

    public Event<CancelRun> CancelRequested { get; private set; } = null!;

    public Event<RetryRun> RetryRequested { get; private set; } = null!;

    /// <summary>The state machine state for a run state.</summary>
    internal State StateOf(ContractRunState state) => state switch
    {
        ContractRunState.Pending => Pending,
        ContractRunState.Running => Running,
        ContractRunState.AwaitingApproval => AwaitingApproval,
        ContractRunState.Completed => Completed,
        ContractRunState.Failed => Failed,
        ContractRunState.Aborted => Aborted,
        _ => Cancelled,
    };
}

/// <summary>The named steps of <see cref="RunStateMachine"/>, so that its body reads like the lifecycle.</summary>
internal static class RunStateMachineSteps
{
    /// <summary>Applies a <see cref="RunStep"/> to the run.</summary>
    public static EventActivityBinder<RunRecord, TMessage> Step<TMessage>(
        this EventActivityBinder<RunRecord, TMessage> binder, Func<RunStep, BehaviorContext<RunRecord, TMessage>, Task> step)
        where TMessage : class =>
        binder.ThenAsync(context => step(RunStep.For(context), context));

    /// <summary>Moves the run to where the step decided (<see cref="RunRecord.Target"/>), if anywhere.</summary>
    public static EventActivityBinder<RunRecord, TMessage> MoveToTarget<TMessage>(
        this EventActivityBinder<RunRecord, TMessage> binder, RunStateMachine machine)
        where TMessage : class =>
        binder.ThenAsync(async context =>
        {
            if (context.Saga.Target is { } target && machine.StateOf(target) is var state && state.Name != context.Saga.CurrentState)
            {
                await context.TransitionToState(state);
            }
        });

    /// <summary>Records the message as <c>message.ignored</c>; the run does not change.</summary>
    public static EventActivityBinder<RunRecord, TMessage> Ignored<TMessage>(this EventActivityBinder<RunRecord, TMessage> binder)
        where TMessage : class =>
        binder.Then(context => RunStep.For(context).Ignore(typeof(TMessage).Name, $"the run is {context.Saga.CurrentState}", context.MessageId));

    /// <summary>Records the decision as <c>message.ignored</c> with what was decided (action, who, on which digest); the run does not change.</summary>
    public static EventActivityBinder<RunRecord, ApprovalDecided> IgnoredDecision(this EventActivityBinder<RunRecord, ApprovalDecided> binder) =>
        binder.Then(context => RunStep.For(context).IgnoreDecision(context.Message, $"the run is {context.Saga.CurrentState}", context.MessageId));
}
