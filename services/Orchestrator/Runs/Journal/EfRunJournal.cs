using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Persistence;
using static RunMesh.Orchestrator.Persistence.DeferredStatements;

namespace RunMesh.Orchestrator.Runs.Journal;

/// <summary>
/// The run journal on the orchestrator's database. It works inside the transaction of the message being handled (the
/// outbox's): events are added to the DbContext and saved with the run row; artifacts and deadlines are upserts and
/// deletes deferred to that same SaveChanges (<see cref="DeferredStatements"/>: one round trip for all of them), and
/// repeated writes of the same fact are harmless.
/// </summary>
public sealed class EfRunJournal(OrchestratorDbContext db, TimeProvider clock) : IRunJournal
{
    public void Append(RunEventEntry entry) => db.Add(new RunEventRow
    {
        RunId = entry.RunId,
        Seq = entry.Seq,
        Type = entry.Type,
        Payload = entry.Payload,
        IdempotencyKey = entry.IdempotencyKey,
        At = entry.At,
    });

    public void StoreArtifact(Guid runId, string phaseKey, int attempt, JsonNode artifact, string digest, bool accepted)
    {
        // Content-addressed: the same artifact (in any run) is stored once.
        var content = Value(CanonicalJson.Serialize(artifact), NpgsqlDbType.Bytea);
        db.Deferred.Add($"INSERT INTO artifact_blobs (digest, content, created_at) VALUES ({digest}, {content}, {clock.GetUtcNow()}) ON CONFLICT (digest) DO NOTHING");
        db.Deferred.Add($"INSERT INTO run_artifacts (run_id, phase_key, attempt, digest, accepted) VALUES ({runId}, {phaseKey}, {attempt}, {digest}, {accepted}) ON CONFLICT (run_id, phase_key, attempt) DO NOTHING");
    }

    public void SetDeadline(RunDeadlineEntry deadline)
    {
        var phaseKey = Value(deadline.PhaseKey, NpgsqlDbType.Text);
        var attempt = Value(deadline.Attempt, NpgsqlDbType.Integer);
        var executionId = Value(deadline.ExecutionId, NpgsqlDbType.Uuid);
        var generation = Value(deadline.Generation, NpgsqlDbType.Integer);
        db.Deferred.Add($"""
            INSERT INTO run_deadlines (run_id, kind, due_at, phase_key, attempt, execution_id, generation)
            VALUES ({deadline.RunId}, {deadline.Kind.ToString()}, {deadline.DueAt}, {phaseKey}, {attempt}, {executionId}, {generation})
            ON CONFLICT (run_id, kind) DO UPDATE SET due_at = excluded.due_at, phase_key = excluded.phase_key,
                attempt = excluded.attempt, execution_id = excluded.execution_id, generation = excluded.generation
            """);
    }

    public void ClearDeadline(Guid runId, DeadlineKind kind) =>
        db.Deferred.Add($"DELETE FROM run_deadlines WHERE run_id = {runId} AND kind = {kind.ToString()}");

    public void ClearDeadlines(Guid runId) =>
        db.Deferred.Add($"DELETE FROM run_deadlines WHERE run_id = {runId}");

    public async Task<long?> AppendReportReadyAsync(ReportReady report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var payload = new JsonObject
        {
            ["generation"] = report.Generation,
            ["reportUrl"] = report.ReportUrl,
            ["manifestDigest"] = report.ManifestDigest,
        }.ToJsonString();
        var idempotencyKey = $"report:{report.Generation}";

        // An older generation's report, one already recorded, or an unknown run: nothing to do.
        var recorded = await EntityFrameworkQueryableExtensions.ToListAsync(db.Database.SqlQuery<long>($"""
            WITH run AS (
                UPDATE runs SET event_seq = event_seq + 1, report_url = {report.ReportUrl}, report_generation = {report.Generation}
                WHERE run_id = {report.RunId} AND (report_generation IS NULL OR report_generation < {report.Generation})
                RETURNING run_id, event_seq)
            INSERT INTO run_events (run_id, seq, at, idempotency_key, payload, type)
            SELECT run_id, event_seq, {now}, {idempotencyKey}, CAST({payload} AS jsonb), {RunEventTypes.ReportReady} FROM run
            RETURNING seq AS "Value"
            """), cancellationToken);
        return recorded.Count == 0 ? null : recorded[0];
    }

    public async Task<bool> ClaimInputBundleAsync(string inputBundleHash, Guid runId, CancellationToken cancellationToken)
    {
        // One round trip when the hash is free (the common case): the insert says whether it took the claim.
        var now = clock.GetUtcNow();
        var inserted = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Database.SqlQuery<Guid>(
                $"INSERT INTO input_bundle_claims (input_bundle_hash, run_id, claimed_at) VALUES ({inputBundleHash}, {runId}, {now}) ON CONFLICT DO NOTHING RETURNING run_id AS \"Value\""),
            cancellationToken);
        if (inserted.Count == 1)
        {
            return true;
        }

        var holder = await EntityFrameworkQueryableExtensions.SingleAsync(
            db.InputBundleClaims.AsNoTracking().Where(c => c.InputBundleHash == inputBundleHash).Select(c => c.RunId), cancellationToken);
        return holder == runId;
    }

    public Task ReleaseInputBundleAsync(string inputBundleHash, Guid runId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"DELETE FROM input_bundle_claims WHERE input_bundle_hash = {inputBundleHash} AND run_id = {runId}", cancellationToken);

    public async Task<bool> ClaimRetryAsync(Guid runId, int generation, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO run_retry_requests (run_id, generation, requested_at) VALUES ({runId}, {generation}, {clock.GetUtcNow()}) ON CONFLICT DO NOTHING",
            cancellationToken) == 1;

    public async Task<RunFinishedReads> ReadForRunFinishedAsync(Guid runId, int generation, int eventCount, CancellationToken cancellationToken)
    {
        // Two statements, one round trip: the finishing pass waits on it, and it ends every run.
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction())
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SELECT seq, type, at, payload FROM run_events WHERE run_id = $1 ORDER BY seq DESC LIMIT $2")
                    {
                        Parameters = { Value(runId, NpgsqlDbType.Uuid), Value(eventCount, NpgsqlDbType.Integer) },
                    },
                    new NpgsqlBatchCommand(
                        "UPDATE run_aliases SET published_generation = $2 WHERE run_id = $1 AND published_generation < $2 RETURNING alias_run_id, parent_run_id")
                    {
                        Parameters = { Value(runId, NpgsqlDbType.Uuid), Value(generation, NpgsqlDbType.Integer) },
                    },
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var stored = new List<RunEventSummary>(eventCount);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(new RunEventSummary
                {
                    Seq = reader.GetInt64(0),
                    Type = reader.GetString(1),
                    At = reader.GetFieldValue<DateTimeOffset>(2),
                    Payload = JsonNode.Parse(reader.GetString(3)),
                });
            }

            await reader.NextResultAsync(cancellationToken);
            var aliases = new List<RunAliasRead>();
            while (await reader.ReadAsync(cancellationToken))
            {
                aliases.Add(new RunAliasRead(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1)));
            }

            return new RunFinishedReads(WithPending(runId, stored, eventCount), aliases);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public async Task<IReadOnlyList<RunEventSummary>> RecentEventsAsync(Guid runId, int count, CancellationToken cancellationToken)
    {
        var stored = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<RunEventRow>().AsNoTracking().Where(e => e.RunId == runId).OrderByDescending(e => e.Seq).Take(count)
                .Select(e => new RunEventSummary { Seq = e.Seq, Type = e.Type, At = e.At, Payload = e.Payload }),
            cancellationToken);
        return WithPending(runId, stored, count);
    }

    /// <summary>The latest <paramref name="count"/> of the stored events and those appended in this transaction, oldest first.</summary>
    private List<RunEventSummary> WithPending(Guid runId, List<RunEventSummary> stored, int count)
    {
        var pending = db.ChangeTracker.Entries<RunEventRow>()
            .Where(e => e.State == EntityState.Added && e.Entity.RunId == runId)
            .Select(e => new RunEventSummary { Seq = e.Entity.Seq, Type = e.Entity.Type, At = e.Entity.At, Payload = e.Entity.Payload.DeepClone() });
        return stored.Concat(pending)
            .DistinctBy(e => e.Seq)
            .OrderBy(e => e.Seq)
            .TakeLast(count)
            .ToList();
    }
}
