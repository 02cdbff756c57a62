using Rebus.Activation;
using Rebus.Backoff;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Handlers;
using Rebus.Pipeline;
using Rebus.Routing.TypeBased;
using Rebus.Sagas;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Runs.Peers;

/// <summary>
/// Peer 2: a run as a Rebus saga (saga storage in PostgreSQL) that sends each phase to a worker endpoint over Rebus's
/// PostgreSQL transport (one message table, a queue per endpoint) and waits for its reply, on a fresh database.
/// Both endpoints run in this process.
/// </summary>
internal sealed class RebusSystem : IAsyncDisposable
{
    public const string SagaQueue = "bench-saga";
    public const string WorkerQueue = "bench-worker";

    private readonly IsolatedDatabase _database;
    private readonly BuiltinHandlerActivator _sagaEndpoint;
    private readonly BuiltinHandlerActivator _workerEndpoint;
    private readonly IBus _sagaBus;
    private readonly CompletionTracker _tracker;

    private RebusSystem(IsolatedDatabase database, BuiltinHandlerActivator sagaEndpoint, BuiltinHandlerActivator workerEndpoint, IBus sagaBus, CompletionTracker tracker)
    {
        _database = database;
        _sagaEndpoint = sagaEndpoint;
        _workerEndpoint = workerEndpoint;
        _sagaBus = sagaBus;
        _tracker = tracker;
    }

    /// <summary>Rebus's advice for async handlers: few worker threads, more parallelism (the worker: 4, as one RunMesh worker).</summary>
    public const int Workers = 1;

    public const int SagaParallelism = 32;

    public static async Task<RebusSystem> StartAsync(TestServers servers, int phases, int executorMs, int workerConcurrency)
    {
        var database = await IsolatedDatabase.CreateAsync(servers, "bench_rebus");
        var tracker = new CompletionTracker();

        var workerEndpoint = new BuiltinHandlerActivator();
        workerEndpoint.Register((bus, _) => new RebusPhaseWorker(bus, executorMs));
        Configure.With(workerEndpoint)
            .Logging(l => l.None())
            .Transport(t => t.UsePostgreSql(database.ConnectionString, "rebus_messages", WorkerQueue))
            .Options(o => Tune(o, workerConcurrency))
            .Start();

        var sagaEndpoint = new BuiltinHandlerActivator();
        sagaEndpoint.Register((bus, context) => new RebusRunSaga(bus, context, phases, tracker));
        var sagaBus = Configure.With(sagaEndpoint)
            .Logging(l => l.None())
            .Transport(t => t.UsePostgreSql(database.ConnectionString, "rebus_messages", SagaQueue))
            .Sagas(s => s.StoreInPostgres(database.ConnectionString, "rebus_sagas", "rebus_saga_index"))
            .Routing(r => r.TypeBased().Map<RebusExecutePhase>(WorkerQueue))
            .Options(o => Tune(o, SagaParallelism))
            .Start();
        await Task.CompletedTask;
        return new RebusSystem(database, sagaEndpoint, workerEndpoint, sagaBus, tracker);
    }

    private static void Tune(OptionsConfigurer options, int parallelism)
    {
        options.SetNumberOfWorkers(Workers);
        options.SetMaxParallelism(parallelism);
        // The transport polls its table; back off briefly when it is empty rather than up to the default's seconds.
        options.SetBackoffTimes(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>One run: the start message to the saga's queue; the saga signals when the last phase has replied.</summary>
    public Task<double?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid();
        return _tracker.RunAsync(runId, () => _sagaBus.SendLocal(new RebusStartRun { RunId = runId }), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _sagaEndpoint.Dispose();
        _workerEndpoint.Dispose();
        await _database.DisposeAsync();
    }
}

/// <summary>Starts a run.</summary>
public sealed record RebusStartRun
{
    public Guid RunId { get; init; }
}

/// <summary>Saga → worker.</summary>
public sealed record RebusExecutePhase
{
    public Guid RunId { get; init; }

    public int Phase { get; init; }
}

/// <summary>Worker → saga (a reply).</summary>
public sealed record RebusPhaseDone
{
    public Guid RunId { get; init; }

    public int Phase { get; init; }
}

/// <summary>The saga's state, stored in PostgreSQL.</summary>
public sealed class RebusRunData : SagaData
{
    public Guid RunId { get; set; }

    public int Phase { get; set; }
}

/// <summary>Dispatches the phases in order; the run is complete when the last one replied.</summary>
internal sealed class RebusRunSaga(IBus bus, IMessageContext context, int phases, CompletionTracker tracker) :
    Saga<RebusRunData>, IAmInitiatedBy<RebusStartRun>, IHandleMessages<RebusPhaseDone>
{
    protected override void CorrelateMessages(ICorrelationConfig<RebusRunData> config)
    {
        config.Correlate<RebusStartRun>(m => m.RunId, d => d.RunId);
        config.Correlate<RebusPhaseDone>(m => m.RunId, d => d.RunId);
    }

    public Task Handle(RebusStartRun message)
    {
        Data.RunId = message.RunId;
        Data.Phase = 1;
        return bus.Send(new RebusExecutePhase { RunId = message.RunId, Phase = 1 });
    }

    public async Task Handle(RebusPhaseDone message)
    {
        if (message.Phase != Data.Phase)
        {
            return;
        }

        if (Data.Phase < phases)
        {
            Data.Phase++;
            await bus.Send(new RebusExecutePhase { RunId = message.RunId, Phase = Data.Phase });
            return;
        }

        MarkAsComplete();
        // Completed once the saga's change is committed and the message acknowledged.
        context.TransactionContext.OnAck(_ =>
        {
            tracker.Complete(message.RunId);
            return Task.CompletedTask;
        });
    }
}

/// <summary>The worker: the executor's wait, then the reply.</summary>
internal sealed class RebusPhaseWorker(IBus bus, int executorMs) : IHandleMessages<RebusExecutePhase>
{
    public async Task Handle(RebusExecutePhase message)
    {
        if (executorMs > 0)
        {
            await Task.Delay(executorMs);
        }

        await bus.Reply(new RebusPhaseDone { RunId = message.RunId, Phase = message.Phase });
    }
}
