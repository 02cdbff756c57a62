using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.Planner.Studies;

/// <summary>
/// A study's life: <c>Running → Completed | Failed | Cancelled | BudgetExhausted</c>. Admission (the API and
/// <see cref="StartStudy"/>) creates or resumes the study and starts its first runs; here the end of each of its runs
/// (<see cref="StudyRunsEnded"/>, relayed in batches from <see cref="RunFinished"/> by <see cref="StudyRunFinishedRelay"/>) and
/// each <see cref="CancelStudy"/> are handed to <see cref="StudyProgress"/> under the study row's lock. Terminal states keep
/// the row: a study that did not complete can be resumed.
/// </summary>
public sealed class StudyStateMachine : MassTransitStateMachine<StudyRecord>
{
    public StudyStateMachine()
    {
        Event(() => RunEnded, e => { e.CorrelateById(m => m.Message.StudyId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => CancelRequested, e => { e.CorrelateById(m => m.Message.StudyId); e.OnMissingInstance(m => m.Discard()); });

        InstanceState(x => x.CurrentState);

        DuringAny(
            When(RunEnded).ThenAsync(async context =>
            {
                var progress = context.GetServiceOrCreateInstance<StudyProgress>();
                await progress.RunsEndedAsync(context.Saga, context.Message.Runs, context, context.CancellationToken);
            }),
            When(CancelRequested).ThenAsync(async context =>
            {
                var progress = context.GetServiceOrCreateInstance<StudyProgress>();
                await progress.CancelAsync(context.Saga, context.Message, context, context.CancellationToken);
            }));
    }

    public State Running { get; private set; } = null!;

    public State Completed { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public State Cancelled { get; private set; } = null!;

    public State BudgetExhausted { get; private set; } = null!;

    public Event<StudyRunsEnded> RunEnded { get; private set; } = null!;

    public Event<CancelStudy> CancelRequested { get; private set; } = null!;
}
