using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Messaging.Outbox;
using RunMesh.Report.Persistence;

namespace RunMesh.Report.Reports;

/// <summary>
/// Writes the report and manifest of every finished run generation and announces them with <see cref="ReportReady"/>.
/// A report is written once per <c>(run, generation)</c>; every copy of <see cref="RunFinished"/> — redelivered,
/// published again under another message id, or the copy published under an alias — announces it.
/// </summary>
/// <remarks>
/// An <see cref="IIdempotentConsumer"/>: it runs without the inbox/outbox, behind the transient retry only, like the approval
/// service's <c>RunFinished</c> consumer. Exactly once in effect still holds: the insert is idempotent, and the
/// orchestrator records a <see cref="ReportReady"/> once per generation whatever the copies. The row commits before
/// the announcement is sent; if the process dies in between, the broker delivers the message again, the insert finds
/// the row, and the copy announces it. That is why a copy announces too, where with the outbox it announced nothing.
/// The inbox/outbox cost the service two transactions and five statements per run for what the two idempotent steps
/// give anyway.
/// </remarks>
internal sealed partial class RunFinishedConsumer(ReportDbContext db, TimeProvider clock, ILogger<RunFinishedConsumer> logger)
    : IConsumer<RunFinished>, IIdempotentConsumer
{
    /// <summary>The endpoint's queue: the approval service consumes RunFinished on a queue of its own.</summary>
    public const string EndpointName = "report-run-finished";

    public async Task Consume(ConsumeContext<RunFinished> context)
    {
        var cancellationToken = context.CancellationToken;
        var record = StoredReport.From(context.Message, clock.GetUtcNow());
        if (await InsertOnceAsync(record, cancellationToken))
        {
            LogWritten(logger, record.RunId, record.Generation, record.State, record.ManifestDigest);
        }
        else
        {
            // A copy announces the row that is stored, which an earlier copy (perhaps the alias's) wrote.
            var stored = await db.Reports.AsNoTracking()
                .Where(r => r.RunId == record.RunId && r.Generation == record.Generation)
                .Select(r => r.ManifestDigest)
                .SingleAsync(cancellationToken);
            record.ManifestDigest = stored;
            LogDuplicate(logger, record.RunId, record.Generation, context.MessageId);
        }

        await context.Publish(StoredReport.ReadyMessage(record), cancellationToken);
    }

    /// <summary>
    /// Inserts the row unless one for the same run and generation exists, in a transaction of its own (one statement).
    /// <c>ON CONFLICT DO NOTHING</c> also settles two copies consumed at the same moment: the second waits for the
    /// first's insert and then inserts nothing.
    /// </summary>
    private async Task<bool> InsertOnceAsync(ReportRecord r, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO reports (run_id, generation, state, parent_run_id, template_name, template_version,
                                 manifest_digest, manifest, report_json, report_markdown, ended_at, stored_at)
            VALUES ({r.RunId}, {r.Generation}, {r.State}, {r.ParentRunId}, {r.TemplateName}, {r.TemplateVersion},
                    {r.ManifestDigest}, {r.Manifest}::json, {r.ReportJson}::json, {r.ReportMarkdown}, {r.EndedAt}, {r.StoredAt})
            ON CONFLICT (run_id, generation) DO NOTHING
            """,
            cancellationToken) == 1;

    [LoggerMessage(Level = LogLevel.Information, Message = "Report of run {RunId} generation {Generation} written ({State}, manifest {ManifestDigest})")]
    private static partial void LogWritten(ILogger logger, Guid runId, int generation, string state, string manifestDigest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report of run {RunId} generation {Generation} already written; RunFinished {MessageId} announces it again")]
    private static partial void LogDuplicate(ILogger logger, Guid runId, int generation, Guid? messageId);
}
