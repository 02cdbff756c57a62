using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Journal;
using RunMesh.Orchestrator.Tests.Runs;

namespace RunMesh.Orchestrator.Tests.Persistence;

/// <summary>The run row and its journal on a real PostgreSQL database, migrated as the service migrates it.</summary>
public sealed class RunPersistenceTests : IAsyncLifetime
{
    private MigratedOrchestratorDatabase _database = null!;

    public async Task InitializeAsync() => _database = await MigratedOrchestratorDatabase.CreateAsync("orchestrator_runs");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private OrchestratorDbContext Open(params IInterceptor[] interceptors) => _database.Open(interceptors);

    /// <summary>The text of every command a <c>SaveChanges</c> executed.</summary>
    private sealed class SaveChangesCommands : DbCommandInterceptor
    {
        public List<string> Texts { get; } = [];

        public override ValueTask<System.Data.Common.DbDataReader> ReaderExecutedAsync(
            System.Data.Common.DbCommand command, CommandExecutedEventData eventData, System.Data.Common.DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (eventData.CommandSource == CommandSource.SaveChanges)
            {
                Texts.Add(command.CommandText);
            }

            return ValueTask.FromResult(result);
        }
    }

    private static RunRecord NewRun()
    {
        var run = RunSagaHarness.PendingRun(Guid.NewGuid(), RunSagaHarness.Phase("spec"));
        run.CurrentState = "Running";
        return run;
    }

    [Fact]
    public async Task Changes_made_inside_a_runs_phases_are_saved()
    {
        var run = NewRun();
        await using (var db = Open())
        {
            db.Runs.Add(run);
            await db.SaveChangesAsync();
        }

        await using (var db = Open())
        {
            var loaded = await db.Runs.SingleAsync(r => r.CorrelationId == run.CorrelationId);
            loaded.Phases[0].Attempts.Add(new AttemptRecord { Attempt = 1, ExecutionId = Guid.NewGuid(), DispatchedAt = DateTimeOffset.UtcNow });
            loaded.Phases[0].State = PhaseState.Running;
            loaded.Usage = new Usage { InputTokens = 3, CostUsd = 0.25m };
            await db.SaveChangesAsync();
        }

        await using (var db = Open())
        {
            var reloaded = await db.Runs.AsNoTracking().SingleAsync(r => r.CorrelationId == run.CorrelationId);
            reloaded.Phases[0].State.ShouldBe(PhaseState.Running);
            reloaded.Phases[0].Attempts.Single().Attempt.ShouldBe(1);
            reloaded.Usage.CostUsd.ShouldBe(0.25m);
            reloaded.Definition.Phases[0].ArtifactSchema.ToJsonString().ShouldBe(RunSagaHarness.StepsSchema.ToJsonString());
        }
    }

    [Fact]
    public async Task Artifacts_are_stored_once_per_digest_and_once_per_attempt()
    {
        var artifact = new JsonObject { ["title"] = "same in both runs" };
        var digest = Digest.Of(artifact);
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        await using (var db = Open())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var journal = new EfRunJournal(db, TimeProvider.System);
            journal.StoreArtifact(first, "spec", 1, artifact, digest, accepted: true);
            journal.StoreArtifact(first, "spec", 1, artifact, digest, accepted: true);
            journal.StoreArtifact(second, "spec", 3, artifact, digest, accepted: false);
            (await CountAsync("SELECT count(*) FROM artifact_blobs WHERE digest = @d", digest)).ShouldBe(0, "journal writes wait for SaveChanges");
            db.Deferred.Count.ShouldBe(6);

            await db.SaveChangesAsync();
            db.Deferred.Count.ShouldBe(0);
            await transaction.CommitAsync();
        }

        (await CountAsync("SELECT count(*) FROM artifact_blobs WHERE digest = @d", digest)).ShouldBe(1);
        (await CountAsync("SELECT count(*) FROM run_artifacts WHERE digest = @d", digest)).ShouldBe(2);
        await using var check = Open();
        var blob = await check.ArtifactBlobs.SingleAsync(b => b.Digest == digest);
        Digest.Sha256(blob.Content).ShouldBe(digest);
    }

    [Fact]
    public async Task Journal_writes_travel_in_the_command_of_SaveChanges_after_its_own_statements()
    {
        var run = NewRun();
        var commands = new SaveChangesCommands();
        await using (var db = Open(commands))
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var journal = new EfRunJournal(db, TimeProvider.System);
            db.Runs.Add(run);
            journal.SetDeadline(new RunDeadlineEntry(run.CorrelationId, DeadlineKind.Run, DateTimeOffset.UtcNow.AddHours(1), Generation: 1));

            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        // One command: the run's INSERT first, then the deadline's upsert (one round trip for both).
        var command = commands.Texts.ShouldHaveSingleItem();
        command.IndexOf("INSERT INTO runs", StringComparison.Ordinal).ShouldBeGreaterThanOrEqualTo(0);
        command.IndexOf("INSERT INTO run_deadlines", StringComparison.Ordinal).ShouldBeGreaterThan(command.IndexOf("INSERT INTO runs", StringComparison.Ordinal));
        (await CountAsync("SELECT count(*) FROM run_deadlines WHERE run_id::text = @d", run.CorrelationId.ToString())).ShouldBe(1);
        (await CountAsync("SELECT count(*) FROM runs WHERE run_id::text = @d", run.CorrelationId.ToString())).ShouldBe(1);
    }

    [Fact]
    public async Task A_pooled_DbContext_never_sends_journal_writes_left_by_its_previous_lease()
    {
        var pool = _database.Pool();
        var abandoned = NewRun();
        Guid instance;
        await using (var db = pool.CreateDbContext())
        {
            // A pass that deferred its writes and then failed before SaveChanges: the lease ends with them unsent.
            instance = db.ContextId.InstanceId;
            new EfRunJournal(db, TimeProvider.System).SetDeadline(
                new RunDeadlineEntry(abandoned.CorrelationId, DeadlineKind.Run, DateTimeOffset.UtcNow.AddHours(1), Generation: 1));
            db.Deferred.Count.ShouldBe(1);
        }

        var next = NewRun();
        await using (var db = pool.CreateDbContext())
        {
            db.ContextId.InstanceId.ShouldBe(instance); // the same instance, leased again
            db.ContextId.Lease.ShouldBe(2);
            db.Deferred.Count.ShouldBe(0);
            db.Runs.Add(next);
            await db.SaveChangesAsync();
        }

        (await CountAsync("SELECT count(*) FROM runs WHERE run_id::text = @d", next.CorrelationId.ToString())).ShouldBe(1);
        (await CountAsync("SELECT count(*) FROM run_deadlines WHERE run_id::text = @d", abandoned.CorrelationId.ToString())).ShouldBe(0);
    }

    [Fact]
    public async Task A_deadline_is_replaced_by_the_next_of_its_kind_and_cleared()
    {
        var runId = Guid.NewGuid();
        await using (var db = Open())
        {
            var journal = new EfRunJournal(db, TimeProvider.System);
            journal.SetDeadline(new RunDeadlineEntry(runId, DeadlineKind.Attempt, DateTimeOffset.UtcNow.AddMinutes(5), "spec", 1, Guid.NewGuid()));
            journal.SetDeadline(new RunDeadlineEntry(runId, DeadlineKind.Attempt, DateTimeOffset.UtcNow.AddMinutes(9), "spec", 2, Guid.NewGuid()));
            journal.SetDeadline(new RunDeadlineEntry(runId, DeadlineKind.Run, DateTimeOffset.UtcNow.AddHours(1), Generation: 1));
            await db.SaveChangesAsync(); // no transaction: the deferred batch runs on its own, in order
        }

        await using (var db = Open())
        {
            var rows = await db.RunDeadlines.Where(d => d.RunId == runId).OrderBy(d => d.Kind).ToListAsync();
            rows.Select(r => r.Kind).ShouldBe([DeadlineKind.Attempt, DeadlineKind.Run]);
            rows[0].Attempt.ShouldBe(2);

            new EfRunJournal(db, TimeProvider.System).ClearDeadline(runId, DeadlineKind.Attempt);
            db.SaveChanges();
            (await db.RunDeadlines.CountAsync(d => d.RunId == runId)).ShouldBe(1);
        }
    }

    [Fact]
    public async Task Recent_events_include_those_not_saved_yet_and_the_same_fact_cannot_be_logged_twice()
    {
        var runId = Guid.NewGuid();
        await using (var db = Open())
        {
            var journal = new EfRunJournal(db, TimeProvider.System);
            for (var seq = 1; seq <= 3; seq++)
            {
                journal.Append(new RunEventEntry(runId, seq, RunEventTypes.PhaseDispatched, new JsonObject { ["n"] = seq }, $"k{seq}", DateTimeOffset.UtcNow));
            }

            await db.SaveChangesAsync();
            journal.Append(new RunEventEntry(runId, 4, RunEventTypes.RunCompleted, new JsonObject(), "k4", DateTimeOffset.UtcNow));

            var recent = await journal.RecentEventsAsync(runId, 3, default);

            recent.Select(e => e.Seq).ShouldBe([2, 3, 4]);
        }

        await using (var db = Open())
        {
            new EfRunJournal(db, TimeProvider.System)
                .Append(new RunEventEntry(runId, 9, RunEventTypes.RunCompleted, new JsonObject(), "k1", DateTimeOffset.UtcNow));
            var failure = await Should.ThrowAsync<DbUpdateException>(() => db.SaveChangesAsync());
            failure.InnerException.ShouldBeOfType<PostgresException>().SqlState.ShouldBe(PostgresErrorCodes.UniqueViolation);
        }
    }

    [Fact]
    public async Task A_finishing_run_reads_its_latest_events_and_takes_its_waiting_aliases_once_per_generation()
    {
        var runId = Guid.NewGuid();
        var (waiting, published) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var db = Open())
        {
            var journal = new EfRunJournal(db, TimeProvider.System);
            for (var seq = 1; seq <= 4; seq++)
            {
                journal.Append(new RunEventEntry(runId, seq, RunEventTypes.PhaseDispatched, new JsonObject { ["n"] = seq }, $"k{seq}", DateTimeOffset.UtcNow));
            }

            db.RunAliases.Add(new RunAlias { AliasRunId = waiting, RunId = runId, CreatedAt = DateTimeOffset.UtcNow, PublishedGeneration = 0 });
            db.RunAliases.Add(new RunAlias { AliasRunId = published, RunId = runId, CreatedAt = DateTimeOffset.UtcNow, PublishedGeneration = 1 });
            await db.SaveChangesAsync();
        }

        await using (var db = Open())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var journal = new EfRunJournal(db, TimeProvider.System);
            journal.Append(new RunEventEntry(runId, 5, RunEventTypes.RunCompleted, new JsonObject { ["generation"] = 1 }, "finished:1", DateTimeOffset.UtcNow));

            var reads = await journal.ReadForRunFinishedAsync(runId, generation: 1, eventCount: 3, default);

            reads.LastEvents.Select(e => e.Seq).ShouldBe([3, 4, 5]); // stored and not yet saved, oldest first
            reads.LastEvents[0].Payload!["n"]!.GetValue<int>().ShouldBe(3);
            reads.LastEvents[0].Type.ShouldBe(RunEventTypes.PhaseDispatched);
            reads.Aliases.ShouldBe([new RunAliasRead(waiting, null)]); // the alias published for generation 1 already is not taken again
            (await journal.ReadForRunFinishedAsync(runId, generation: 1, eventCount: 3, default)).Aliases.ShouldBeEmpty();
            await transaction.CommitAsync();
        }
    }

    private async Task<long> CountAsync(string sql, string digest)
    {
        await using var connection = await _database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("d", digest);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task The_migrations_match_the_model_and_outbox_messages_carry_only_the_indexes_their_queries_use()
    {
        await using (var db = Open())
        {
            db.Database.HasPendingModelChanges().ShouldBeFalse("a model change without its migration");
        }

        await using var connection = await _database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT indexname FROM pg_indexes WHERE tablename = 'outbox_message'", connection);
        var indexes = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                indexes.Add(reader.GetString(0));
            }
        }

        // The key, and the two ways rows are found: by the inbox row that stored them, and by their bus outbox.
        indexes.Order().ShouldBe(
        [
            "ix_outbox_message_inbox_message_id_inbox_consumer_id_sequence_",
            "ix_outbox_message_outbox_id_sequence_number",
            "pk_outbox_message",
        ]);
    }
}
