using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Report.Persistence;

namespace RunMesh.Report.Reports;

/// <summary>
/// Writes the report and manifest of every finished run generation and announces them with <see cref="ReportReady"/>.
/// Runs behind the Postgres inbox/outbox: the row and the outgoing message commit in one transaction. A report is
/// written once per <c>(run, generation)</c>; a duplicate <see cref="RunFinished"/> — redelivered, published again
/// under another message id, or the copy published under an alias — writes nothing and publishes nothing, because
/// the first one's <see cref="ReportReady"/> committed with its row.
/// </summary>
internal sealed partial class RunFinishedConsumer(ReportDbContext db, TimeProvider clock, ILogger<RunFinishedConsumer> logger)
    : IConsumer<RunFinished>
{
    public async Task Consume(ConsumeContext<RunFinished> context)
    {
        var record = StoredReport.From(context.Message, clock.GetUtcNow());
        if (!await InsertOnceAsync(record, context.CancellationToken))
        {
            LogDuplicate(logger, record.RunId, record.Generation, context.MessageId);
            return;
        }

        await context.Publish(StoredReport.ReadyMessage(record), context.CancellationToken);
        LogWritten(logger, record.RunId, record.Generation, record.State, record.ManifestDigest);
    }

    /// <summary>
    /// Inserts the row unless one for the same run and generation exists. <c>ON CONFLICT DO NOTHING</c> also settles
    /// two copies consumed at the same moment: the second waits for the first's transaction and then inserts nothing.
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Report of run {RunId} generation {Generation} already written; RunFinished {MessageId} ignored")]
    private static partial void LogDuplicate(ILogger logger, Guid runId, int generation, Guid? messageId);
}
