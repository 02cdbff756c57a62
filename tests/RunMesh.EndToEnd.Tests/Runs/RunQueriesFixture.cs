using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Database;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Journal;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>
/// One mesh whose orchestrator database the tests write run rows into directly (runs, events, artifacts, aliases),
/// as the saga would have left them, so the query API is tested through the gateway without executing anything.
/// </summary>
public sealed class RunQueriesFixture : IAsyncLifetime
{
    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    /// <summary>
    /// Streams here are woken only by Postgres notifications: the fallback polls and heartbeats are set far beyond every test's
    /// timeout, so a stream that sees a live event proves LISTEN/NOTIFY works.
    /// </summary>
    public async Task InitializeAsync() => _mesh = await MeshHarness.StartAsync("runqueries", settings: new Dictionary<string, IReadOnlyDictionary<string, string>>
    {
        ["orchestrator"] = new Dictionary<string, string>
        {
            ["Orchestrator:SseSafetyPollSeconds"] = "3600",
            ["Orchestrator:SseHeartbeatSeconds"] = "3600",
            ["Orchestrator:SsePollMilliseconds"] = "10000",
        },
    });

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }

    /// <summary>A DbContext on the mesh orchestrator's database.</summary>
    public OrchestratorDbContext OpenDatabase()
    {
        var options = new DbContextOptionsBuilder<OrchestratorDbContext>();
        options.UseServiceDatabase(Mesh.DatabaseOf("orchestrator").ConnectionString);
        return new OrchestratorDbContext(options.Options);
    }

    /// <summary>A run row of template <paramref name="template"/>@<paramref name="version"/> in <paramref name="state"/> with two phases.</summary>
    public static RunRecord NewRun(
        string state, DateTimeOffset createdAt, IReadOnlyDictionary<string, string> labels, string template = "spec-review", int version = 1)
    {
        var started = createdAt.AddSeconds(1);
        var terminal = state is "Completed" or "Failed" or "Aborted" or "Cancelled";
        return new RunRecord
        {
            CorrelationId = Guid.NewGuid(),
            CurrentState = state,
            TemplateName = template,
            TemplateVersion = version,
            Labels = new Dictionary<string, string>(labels),
            RequestedBy = "test-submitter",
            CreatedAt = createdAt,
            StartedAt = started,
            EndedAt = terminal ? started.AddSeconds(5) : null,
            Generation = terminal ? 1 : 0,
            EventSeq = 0,
            Usage = new Usage { InputTokens = 120, OutputTokens = 80, CostUsd = 0.0125m },
            Error = state == "Failed" ? new RunError { Code = ErrorCodes.ExecutorError, Message = "the executor failed 3 times", PhaseKey = "review" } : null,
            Definition = new RunDefinition
            {
                Template = new TemplateRef { Name = template, Version = version, Hash = Digest.OfJson($"{{\"template\":\"{template}\",\"version\":{version}}}") },
                InputBundleHash = Digest.OfJson($"{{\"run\":\"{Guid.NewGuid()}\"}}"),
                Inputs = new JsonObject { ["feature"] = "dark mode" },
                Budget = new Budget { MaxCostUsd = 5.0m, MaxTokens = 200_000 },
                TimeoutSeconds = 3600,
                Phases = [Plan("spec"), Plan("review")],
            },
            Phases =
            [
                new PhaseProgress
                {
                    Key = "spec",
                    State = PhaseState.Completed,
                    StartedAt = started,
                    EndedAt = started.AddSeconds(2),
                    ArtifactDigest = Digest.Of(SpecArtifact),
                    Attempts =
                    [
                        Attempt(1, started, AttemptOutcome.InvalidArtifact, Digest.Of(InvalidSpecArtifact)),
                        Attempt(2, started.AddSeconds(1), AttemptOutcome.Succeeded, Digest.Of(SpecArtifact)),
                    ],
                },
                new PhaseProgress
                {
                    Key = "review",
                    State = terminal ? PhaseState.Completed : PhaseState.Running,
                    StartedAt = started.AddSeconds(2),
                    Attempts = [Attempt(1, started.AddSeconds(2), terminal ? AttemptOutcome.Succeeded : null, null)],
                },
            ],
            PhaseIndex = 1,
        };
    }

    /// <summary>The accepted artifact of phase <c>spec</c> in every run made by <see cref="NewRun"/>.</summary>
    public static JsonObject SpecArtifact => new() { ["title"] = "Dark mode", ["steps"] = new JsonArray("design", "build") };

    /// <summary>The invalid output of the <c>spec</c> phase's first attempt.</summary>
    public static JsonObject InvalidSpecArtifact => new() { ["title"] = "Dark mode" };

    /// <summary>Saves runs, their events (type and payload per seq, from 1) and the <c>spec</c> artifacts, in one transaction.</summary>
    public async Task SaveAsync(RunRecord run, params string[] eventTypes)
    {
        await using var db = OpenDatabase();
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Runs.Add(run);
        AddEvents(db, run, eventTypes);
        var journal = new EfRunJournal(db, TimeProvider.System);
        journal.StoreArtifact(run.CorrelationId, "spec", 1, InvalidSpecArtifact, Digest.Of(InvalidSpecArtifact), accepted: false);
        journal.StoreArtifact(run.CorrelationId, "spec", 2, SpecArtifact, Digest.Of(SpecArtifact), accepted: true);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    /// <summary>Saves many runs without events or artifacts.</summary>
    public async Task SaveAllAsync(IEnumerable<RunRecord> runs)
    {
        await using var db = OpenDatabase();
        db.Runs.AddRange(runs);
        await db.SaveChangesAsync();
    }

    /// <summary>Appends events to a stored run and moves it to <paramref name="state"/>, as the saga does: in one transaction.</summary>
    public async Task AppendAsync(Guid runId, string state, params string[] eventTypes)
    {
        await using var db = OpenDatabase();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var run = await db.Runs.SingleAsync(r => r.CorrelationId == runId);
        run.CurrentState = state;
        AddEvents(db, run, eventTypes);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    /// <summary>Makes <paramref name="alias"/> point at <paramref name="runId"/>.</summary>
    public async Task AddAliasAsync(Guid alias, Guid runId)
    {
        await using var db = OpenDatabase();
        db.RunAliases.Add(new RunAlias { AliasRunId = alias, RunId = runId, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    private static void AddEvents(OrchestratorDbContext db, RunRecord run, string[] eventTypes)
    {
        foreach (var type in eventTypes)
        {
            run.EventSeq++;
            db.RunEvents.Add(new RunEventRow
            {
                RunId = run.CorrelationId,
                Seq = run.EventSeq,
                Type = type,
                Payload = new JsonObject { ["n"] = run.EventSeq, ["type"] = type },
                IdempotencyKey = $"test:{run.EventSeq}",
                At = run.CreatedAt.AddMilliseconds(run.EventSeq),
            });
        }
    }

    private static PhasePlan Plan(string key) => new()
    {
        Key = key,
        Executor = "mock",
        Instructions = $"Do {key}",
        ArtifactSchema = new JsonObject { ["type"] = "object" },
        SchemaDigest = Digest.OfJson("{\"type\":\"object\"}"),
    };

    private static AttemptRecord Attempt(int number, DateTimeOffset at, AttemptOutcome? outcome, string? digest) => new()
    {
        Attempt = number,
        ExecutionId = Guid.NewGuid(),
        DispatchedAt = at,
        StartedAt = at,
        EndedAt = outcome is null ? null : at.AddMilliseconds(500),
        Outcome = outcome,
        ErrorKind = outcome == AttemptOutcome.InvalidArtifact ? FailureKind.InvalidArtifact : null,
        ArtifactDigest = digest,
    };
}
