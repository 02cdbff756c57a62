using Hangfire;
using Hangfire.PostgreSql;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Runs.Peers;

/// <summary>
/// Peer 1: a run as a Hangfire chain of continuation jobs on Hangfire.PostgreSql — phase 1 enqueued, each further
/// phase a continuation of the one before (created by the client at submit, as Hangfire's continuations are used).
/// The server runs in this process on its own fresh database, configured for throughput as the storage's options
/// allow: LISTEN/NOTIFY long polling instead of the 15 s default poll, Hangfire's default worker count.
/// </summary>
internal sealed class HangfireSystem : IAsyncDisposable
{
    private readonly IsolatedDatabase _database;
    private readonly BackgroundJobServer _server;
    private readonly BackgroundJobClient _client;
    private readonly int _phases;
    private readonly int _executorMs;

    private HangfireSystem(IsolatedDatabase database, BackgroundJobServer server, BackgroundJobClient client, int phases, int executorMs)
    {
        _database = database;
        _server = server;
        _client = client;
        _phases = phases;
        _executorMs = executorMs;
    }

    /// <summary>The settings, as written into docs/benchmarks.md.</summary>
    public static PostgreSqlStorageOptions StorageOptions() => new()
    {
        PrepareSchemaIfNecessary = true,
        // Workers wait on LISTEN/NOTIFY for new jobs; the poll is only the fallback.
        EnableLongPolling = true,
        QueuePollInterval = TimeSpan.FromSeconds(1),
        // Keep invisibility short enough for a benchmark but longer than any job here.
        InvisibilityTimeout = TimeSpan.FromMinutes(5),
    };

    /// <summary>Hangfire's own default: 5 workers per core, at most 20.</summary>
    public static int WorkerCount => Math.Min(Environment.ProcessorCount * 5, 20);

    public static async Task<HangfireSystem> StartAsync(TestServers servers, int phases, int executorMs)
    {
        var database = await IsolatedDatabase.CreateAsync(servers, "bench_hangfire");
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(options => options.UseNpgsqlConnection(database.ConnectionString), StorageOptions());
        var storage = JobStorage.Current;
        var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = WorkerCount, ServerName = "bench-hangfire" }, storage);
        return new HangfireSystem(database, server, new BackgroundJobClient(storage), phases, executorMs);
    }

    /// <summary>One run: the job and its continuations are created by the client; the last phase signals completion.</summary>
    public Task<double?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid();
        return HangfireChainJobs.Tracker.RunAsync(runId, () =>
        {
            var (phases, executorMs) = (_phases, _executorMs);
            var job = _client.Enqueue(() => HangfireChainJobs.PhaseAsync(runId, 1, phases, executorMs));
            for (var phase = 2; phase <= phases; phase++)
            {
                var next = phase;
                job = _client.ContinueJobWith(job, () => HangfireChainJobs.PhaseAsync(runId, next, phases, executorMs));
            }

            return Task.CompletedTask;
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _server.SendStop();
        _server.Dispose();
        await _database.DisposeAsync();
    }
}

/// <summary>The jobs Hangfire runs (static methods: Hangfire stores the call, not an instance).</summary>
public static class HangfireChainJobs
{
    internal static CompletionTracker Tracker { get; } = new();

    /// <summary>One phase: the executor's wait; the last phase completes the run.</summary>
    public static async Task PhaseAsync(Guid runId, int phase, int phases, int executorMs)
    {
        if (executorMs > 0)
        {
            await Task.Delay(executorMs);
        }

        if (phase == phases)
        {
            Tracker.Complete(runId);
        }
    }
}
