using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Messaging.Outbox;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// Records a <see cref="ReportReady"/> on its run — the report's URL and generation on the run row, and a
/// <c>report.ready</c> event — with one statement, whatever state the run is in. It changes no state and needs nothing
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
internal sealed partial class ReportReadyConsumer(OrchestratorDbContext db, TimeProvider clock, ILogger<ReportReadyConsumer> logger)
    : IConsumer<ReportReady>, IIdempotentConsumer
{
    public async Task Consume(ConsumeContext<ReportReady> context)
    {
        var message = context.Message;
        var payload = new System.Text.Json.Nodes.JsonObject
        {
            ["generation"] = message.Generation,
            ["reportUrl"] = message.ReportUrl,
            ["manifestDigest"] = message.ManifestDigest,
        }.ToJsonString();
        var idempotencyKey = $"report:{message.Generation}";

        // An older generation's report, one already recorded, or an unknown run: nothing to do.
        var recorded = await db.Database.SqlQuery<long>($"""
            WITH run AS (
                UPDATE runs SET event_seq = event_seq + 1, report_url = {message.ReportUrl}, report_generation = {message.Generation}
                WHERE run_id = {message.RunId} AND (report_generation IS NULL OR report_generation < {message.Generation})
                RETURNING run_id, event_seq)
            INSERT INTO run_events (run_id, seq, at, idempotency_key, payload, type)
            SELECT run_id, event_seq, {clock.GetUtcNow()}, {idempotencyKey}, CAST({payload} AS jsonb), {RunEventTypes.ReportReady} FROM run
            RETURNING seq AS "Value"
            """).ToListAsync(context.CancellationToken);

        foreach (var seq in recorded)
        {
            LogEvent(logger, message.RunId, seq, RunEventTypes.ReportReady);
        }
    }

    // The same line a saga pass logs per event (RunStep).
    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} #{Seq} {Type}")]
    private static partial void LogEvent(ILogger logger, Guid runId, long seq, string type);
}
