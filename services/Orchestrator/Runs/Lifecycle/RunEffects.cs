using System.Text.Json.Nodes;
using MassTransit;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs.Children;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>
/// The one writer of a run's effects, in the transaction of the message or request being handled: it appends events
/// (and alone hands out their gap-free <c>seq</c> from the locked run row), stores artifacts and deadlines, publishes
/// through the outbox, and publishes <see cref="RunFinished"/> with its alias copies. The state machine, admission
/// and <see cref="ReportReadyConsumer"/> all write through it.
/// </summary>
public sealed partial class RunEffects(IRunJournal journal, ILogger<RunEffects> logger)
{
    /// <summary>How many of the run's latest events a <see cref="RunFinished"/> carries.</summary>
    public const int LastEventsInRunFinished = 20;

    /// <summary>Writes <paramref name="decision"/>'s effects for <paramref name="run"/>, in order.</summary>
    public async Task ApplyAsync(RunRecord run, RunDecision decision, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case RunEffect.AppendEvent e:
                    Append(run, e.Type, e.Payload, e.IdempotencyKey, now);
                    break;
                case RunEffect.StoreArtifact a:
                    journal.StoreArtifact(run.CorrelationId, a.PhaseKey, a.Attempt, a.Artifact, a.Digest, a.Accepted);
                    break;
                case RunEffect.SetDeadline d:
                    journal.SetDeadline(new RunDeadlineEntry(run.CorrelationId, d.Kind, d.DueAt, d.PhaseKey, d.Attempt, d.ExecutionId, d.Generation));
                    break;
                case RunEffect.ClearDeadline { Kind: { } kind }:
                    journal.ClearDeadline(run.CorrelationId, kind);
                    break;
                case RunEffect.ClearDeadline:
                    journal.ClearDeadlines(run.CorrelationId);
                    break;
                case RunEffect.Publish p:
                    await publish.Publish(p.Message, p.Message.GetType(), cancellationToken);
                    break;
                case RunEffect.ReleaseInputBundle:
                    await journal.ReleaseInputBundleAsync(run.Definition.InputBundleHash, run.CorrelationId, cancellationToken);
                    break;
                case RunEffect.PublishRunFinished f:
                    await PublishRunFinishedAsync(run, f.State, publish, now, cancellationToken);
                    break;
                default:
                    throw new ArgumentException($"Unknown effect {effect.GetType().Name}.", nameof(decision));
            }
        }
    }

    /// <summary>
    /// Claims the run's input bundle for a retry of it (the one place that checks it): true when the run holds it
    /// afterwards, false when an identical run took it meanwhile.
    /// </summary>
    public Task<bool> HoldInputBundleAsync(RunRecord run, CancellationToken cancellationToken) =>
        journal.ClaimInputBundleAsync(run.Definition.InputBundleHash, run.CorrelationId, cancellationToken);

    /// <summary>Takes the one retry of <paramref name="run"/>'s current failure; false when another was taken first.</summary>
    public Task<bool> ClaimRetryAsync(RunRecord run, CancellationToken cancellationToken) =>
        journal.ClaimRetryAsync(run.CorrelationId, run.Generation, cancellationToken);

    /// <summary>Appends one event to <paramref name="run"/>'s log with the next <c>seq</c> of the (locked) row.</summary>
    public void Append(RunRecord run, string type, JsonObject payload, string idempotencyKey, DateTimeOffset now)
    {
        run.EventSeq++;
        journal.Append(new RunEventEntry(run.CorrelationId, run.EventSeq, type, payload, idempotencyKey, now));
        LogEvent(logger, run.CorrelationId, run.EventSeq, type); // One line per event, in the trace of the message that caused it.
    }

    /// <summary>
    /// Records a <see cref="ReportReady"/> on its run without loading it: one statement that takes the run row's lock
    /// like a saga pass and the next <c>seq</c> from its counter (see <see cref="IRunJournal.AppendReportReadyAsync"/>).
    /// </summary>
    public async Task RecordReportAsync(ReportReady report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await journal.AppendReportReadyAsync(report, now, cancellationToken) is { } seq)
        {
            LogEvent(logger, report.RunId, seq, RunEventTypes.ReportReady);
        }
    }

    /// <summary>
    /// Tells a sender whose start was answered by <paramref name="run"/>, which had completed, how it ended — and, when
    /// the start was a child's (<see cref="RunAliasRead.ParentRunId"/>), that parent.
    /// </summary>
    public async Task PublishRunFinishedToAliasAsync(
        RunRecord run, RunAliasRead alias, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lastEvents = await journal.RecentEventsAsync(run.CorrelationId, LastEventsInRunFinished, cancellationToken);
        var finished = RunFinishedMessage.From(run, run.State, lastEvents, now);
        await PublishUnderAliasAsync(run, finished, alias, publish, now, cancellationToken);
    }

    /// <summary>
    /// Answers a <see cref="StartRun"/> that could not be admitted with a failed <see cref="RunFinished"/> under its run
    /// id, and tells the parent of a child start that its child failed.
    /// </summary>
    public async Task PublishRefusalAsync(StartRun start, RunError error, bool echoInputs, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await publish.Publish(RunFinishedMessage.Refused(start, error, echoInputs, now), cancellationToken);
        if (start.ParentRunId is { } parent)
        {
            await publish.Publish(ChildRunFinishedMessage.Refused(start, parent, error, now), cancellationToken);
        }
    }

    private async Task PublishRunFinishedAsync(RunRecord run, RunState state, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reads = await journal.ReadForRunFinishedAsync(run.CorrelationId, run.Generation, LastEventsInRunFinished, cancellationToken);
        var finished = RunFinishedMessage.From(run, state, reads.LastEvents, now);
        await publish.Publish(finished, cancellationToken);
        if (run.Definition.ParentRunId is { } parent)
        {
            await publish.Publish(ChildRunFinishedMessage.Of(run, state, parent, run.CorrelationId, now), cancellationToken);
        }

        foreach (var alias in reads.Aliases)
        {
            await PublishUnderAliasAsync(run, finished, alias, publish, now, cancellationToken);
        }
    }

    private static async Task PublishUnderAliasAsync(
        RunRecord run, RunFinished finished, RunAliasRead alias, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await publish.Publish(finished with { RunId = alias.AliasRunId, AliasOf = run.CorrelationId }, cancellationToken);
        if (alias.ParentRunId is { } parent)
        {
            await publish.Publish(ChildRunFinishedMessage.Of(run, finished.State, parent, alias.AliasRunId, now), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} #{Seq} {Type}")]
    private static partial void LogEvent(ILogger logger, Guid runId, long seq, string type);
}
