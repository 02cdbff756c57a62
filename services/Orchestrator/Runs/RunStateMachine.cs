using MassTransit;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs.Children;
using RunMesh.Orchestrator.Runs.Lifecycle;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// The run lifecycle (docs/run-lifecycle.md): <c>Pending → Running → (AwaitingApproval ↔ Running) → Completed | Failed | Aborted |
/// Cancelled</c>, as the entry point of the run's messages: it correlates each message with its run, holds the run
/// row's lock for the pass, persists the row, and hands the message to <see cref="RunDecider"/>, whose decision
/// <see cref="RunEffects"/> writes and whose target state it moves the run to. Admission creates a run and takes its
/// first step through the same decider, so no message creates a run here. Where each message may lead from each state
/// is the decider's table, <see cref="RunTransitions"/> (rendered into docs/run-lifecycle-diagram.md by a test); the
/// blocks below do not repeat it (docs/run-lifecycle.md says why). Terminal states are not MassTransit's <c>Final</c>:
/// the row stays as the run's permanent record, still receives <see cref="ReportReady"/> (recorded by
/// <see cref="ReportReadyConsumer"/> without loading the saga), and a failed run can be retried.
/// </summary>
public sealed class RunStateMachine : MassTransitStateMachine<RunRecord>
{
    public RunStateMachine()
    {
        Event(() => PhaseSucceeded, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PhaseAttemptFailed, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => PhaseTimedOut, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RetryDue, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => RunTimedOut, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ApprovalDecided, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => CancelRequested, e =>
        {
            e.CorrelateById(m => m.Message.RunId);
            e.OnMissingInstance(m => m.ExecuteAsync(CancelBeforeStart.HandleAsync)); // a child whose start is still on its way
        });
        Event(() => RetryRequested, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ChildrenFinished, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });

        InstanceState(x => x.CurrentState);

        // In every state, each message goes to the decider: a message the state moves on (RunTransitions) leads where
        // the decider decides; any other — a late result, a decision for an attempt the run no longer waits on, a cancel
        // of a finished run — is recorded as message.ignored and otherwise ignored (docs/run-lifecycle.md step 4).
        DuringAny(
            When(PhaseSucceeded).Decide(this),
            When(PhaseAttemptFailed).Decide(this),
            When(PhaseTimedOut).Decide(this),
            When(RetryDue).Decide(this),
            When(ApprovalDecided).Decide(this),
            When(CancelRequested).Decide(this),
            When(RunTimedOut).Decide(this),
            When(RetryRequested).Decide(this),
            When(ChildrenFinished).Decide(this));
    }

    public State Pending { get; private set; } = null!;

    public State Running { get; private set; } = null!;

    public State AwaitingApproval { get; private set; } = null!;

    public State Completed { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public State Aborted { get; private set; } = null!;

    public State Cancelled { get; private set; } = null!;

    public Event<PhaseSucceeded> PhaseSucceeded { get; private set; } = null!;

    public Event<PhaseAttemptFailed> PhaseAttemptFailed { get; private set; } = null!;

    public Event<PhaseTimedOut> PhaseTimedOut { get; private set; } = null!;

    public Event<RetryBackoffElapsed> RetryDue { get; private set; } = null!;

    public Event<RunTimedOut> RunTimedOut { get; private set; } = null!;

    public Event<ApprovalDecided> ApprovalDecided { get; private set; } = null!;

    public Event<CancelRun> CancelRequested { get; private set; } = null!;

    public Event<RetryRun> RetryRequested { get; private set; } = null!;

    public Event<ChildRunsFinished> ChildrenFinished { get; private set; } = null!;

    /// <summary>The state machine state of a run state (each is named as the <see cref="RunState"/> member, see <see cref="RunStates"/>).</summary>
    internal State StateOf(RunState state) => GetState(RunStates.NameOf(state));
}

/// <summary>The named step of <see cref="RunStateMachine"/>, so that its body reads like the lifecycle.</summary>
internal static class RunStateMachineSteps
{
    /// <summary>
    /// Reads what the decision needs (for <see cref="RetryRun"/>: the claim on the input bundle; for a run with <c>run</c>
    /// phases: their compiled artifact schemas), lets
    /// <see cref="RunDecider"/> decide, writes the decision's effects and moves the run to the state it decided.
    /// </summary>
    public static EventActivityBinder<RunRecord, TMessage> Decide<TMessage>(this EventActivityBinder<RunRecord, TMessage> binder, RunStateMachine machine)
        where TMessage : class =>
        binder.ThenAsync(async context =>
        {
            var effects = context.GetServiceOrCreateInstance<RunEffects>();
            var options = context.GetServiceOrCreateInstance<IOptions<OrchestratorOptions>>().Value;
            var now = context.GetServiceOrCreateInstance<TimeProvider>().GetUtcNow();
            var run = context.Saga;
            var input = new RunInput(context.Message, context.MessageId)
            {
                ChildArtifactSchemas = await context.GetServiceOrCreateInstance<ChildArtifactSchemas>().OfAsync(run.Definition, context.CancellationToken),
            };
            if (context.Message is RetryRun && run.State == RunState.Failed)
            {
                input = input with { InputBundleHeld = await effects.HoldInputBundleAsync(run, context.CancellationToken) };
            }

            var decision = RunDecider.Decide(run, input, options, now);
            await effects.ApplyAsync(run, decision, context, now, context.CancellationToken);
            if (decision.To != decision.From)
            {
                await context.TransitionToState(machine.StateOf(decision.To));
            }
        });
}
