using MassTransit;
using RunMesh.Contracts;
using RunMesh.Messaging.Outbox;
using RunMesh.Orchestrator.Runs.Lifecycle;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// Records a <see cref="ReportReady"/> on its run — the report's URL and generation on the run row, and a
/// <c>report.ready</c> event — with one statement (<see cref="RunEffects.RecordReportAsync"/>), whatever state the run is in. It changes no state and needs nothing
/// else of the run, so it does not load the saga: loading the row with its definition, phases and outputs was the
/// larger part of the cost of a quarter of a run's saga passes (docs/benchmarks.md). The statement takes the
/// run row's lock like a saga pass, so the event's <c>seq</c> still comes from the row's counter, gap-free.
/// </summary>
/// <remarks>
/// An <see cref="IIdempotentConsumer"/>: it shares the saga's queue but runs outside the inbox/outbox, behind the
/// transient retry only. The statement is its own transaction and records a generation once (it only moves
/// <c>report_generation</c> forward, and the event's idempotency key is unique per run), so a redelivered or repeated
/// <see cref="ReportReady"/> changes nothing; it sends nothing. The inbox cost a run two statements and a commit for
/// what the guard gives anyway.
/// </remarks>
internal sealed class ReportReadyConsumer(RunEffects effects, TimeProvider clock) : IConsumer<ReportReady>, IIdempotentConsumer
{
    public Task Consume(ConsumeContext<ReportReady> context) =>
        effects.RecordReportAsync(context.Message, clock.GetUtcNow(), context.CancellationToken);
}
