using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RunMesh.Hosting.Messaging;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Runs.RawChain;

/// <summary>
/// The raw-bus limit: MassTransit consumers in this process over the same RabbitMQ (a fresh vhost) and PostgreSQL (a
/// fresh database), making exactly the broker hops and Postgres transactions of a P-phase RunMesh run — admission
/// (which dispatches the first phase), per phase ExecutePhase → worker → PhaseSucceeded → saga, RunFinished to report
/// and approval (no transaction: the benchmark's template has no gate), ReportReady back — with no orchestration logic: a plain transaction with one row update per step, then a plain
/// publish (commit-then-publish, no inbox or outbox).
/// </summary>
internal sealed class RawChainSystem : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IBus _bus;
    private readonly RawChainSetup _setup;
    private readonly IsolatedDatabase _database;
    private readonly IsolatedVirtualHost _broker;

    private RawChainSystem(IHost host, RawChainSetup setup, IsolatedDatabase database, IsolatedVirtualHost broker)
    {
        _host = host;
        _bus = host.Services.GetRequiredService<IBus>();
        _setup = setup;
        _database = database;
        _broker = broker;
    }

    /// <summary>Messages delivered per run: P × (ExecutePhase, PhaseSucceeded), RunFinished × 2 queues, ReportReady.</summary>
    public static int DeliveriesPerRun(int phases) => (2 * phases) + 2 + 1;

    /// <summary>Postgres transactions per run: admission, saga × (P results + ReportReady), report (approval: none without gates).</summary>
    public static int TransactionsPerRun(int phases) => 1 + (phases + 1) + 1;

    public static async Task<RawChainSystem> StartAsync(TestServers servers, int phases, int executorMs, int workerConcurrency, CancellationToken cancellationToken)
    {
        var database = await IsolatedDatabase.CreateAsync(servers, "bench_raw_chain");
        var broker = await IsolatedVirtualHost.CreateAsync(servers, "bench-raw-chain");
        var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using (var create = dataSource.CreateCommand("""
            CREATE TABLE chain_runs (run_id uuid PRIMARY KEY, phase int NOT NULL, state text NOT NULL, reported boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL);
            CREATE TABLE chain_reports (run_id uuid PRIMARY KEY, at timestamptz NOT NULL);
            """))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var setup = new RawChainSetup(phases, executorMs, dataSource, new CompletionTracker());
        var host = Build(setup, broker, workerConcurrency);
        await host.StartAsync(cancellationToken);
        return new RawChainSystem(host, setup, database, broker);
    }

    /// <summary>One run: the admission transaction (insert the row, running phase 1), the first ExecutePhase, then the chain; returns submit→completed in ms.</summary>
    public Task<double?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var runId = NewId.NextGuid();
        return _setup.Tracker.RunAsync(runId, async () =>
        {
            await _setup.InTransactionAsync("INSERT INTO chain_runs (run_id, phase, state, updated_at) VALUES (@id, 1, 'running', now())", runId, cancellationToken);
            await _bus.Publish(new ChainExecute { RunId = runId, Phase = 1 }, cancellationToken);
        }, cancellationToken);
    }

    private static IHost Build(RawChainSetup setup, IsolatedVirtualHost broker, int workerConcurrency)
    {
        // MassTransit keeps its log context in an AsyncLocal; this host must not inherit another's.
        LogContext.Current = null;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(setup);
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<ChainSagaConsumer>();
            x.AddConsumer<ChainWorkerConsumer>();
            x.AddConsumer<ChainReportConsumer>();
            x.AddConsumer<ChainApprovalConsumer>();
            x.UsingRabbitMq((context, rabbit) =>
            {
                var amqp = broker.AmqpUrl;
                var credentials = Uri.UnescapeDataString(amqp.UserInfo).Split(':', 2);
                rabbit.Host(amqp.Host, (ushort)amqp.Port, Uri.UnescapeDataString(amqp.AbsolutePath.TrimStart('/')), host =>
                {
                    host.Username(credentials[0]);
                    host.Password(credentials.Length > 1 ? credentials[1] : "");
                });
                // As the services: compact JSON envelopes with decimals as numbers; prefetch 32 on the saga, report and approval endpoints (RabbitMq:PrefetchCount), and the
                // worker's concurrency = prefetch (PhaseWorker:ConcurrentExecutions per replica).
                rabbit.UseCompactJson();
                rabbit.UseDecimalNumbers();
                Endpoint<ChainSagaConsumer>(rabbit, context, "chain-saga", 32);
                Endpoint<ChainWorkerConsumer>(rabbit, context, "chain-worker", workerConcurrency);
                Endpoint<ChainReportConsumer>(rabbit, context, "chain-report", 32);
                Endpoint<ChainApprovalConsumer>(rabbit, context, "chain-approval", 32);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(30);
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });
        return builder.Build();
    }

    private static void Endpoint<TConsumer>(IRabbitMqBusFactoryConfigurator rabbit, IBusRegistrationContext context, string queue, int limit)
        where TConsumer : class, IConsumer =>
        rabbit.ReceiveEndpoint(queue, endpoint =>
        {
            endpoint.PrefetchCount = limit;
            endpoint.ConcurrentMessageLimit = limit;
            endpoint.ConfigureConsumer<TConsumer>(context);
        });

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
        await _setup.Database.DisposeAsync();
        await _database.DisposeAsync();
        await _broker.DisposeAsync();
    }
}
