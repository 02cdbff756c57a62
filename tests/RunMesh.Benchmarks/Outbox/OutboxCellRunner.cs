using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>
/// Measures one cell on a fresh database and vhost: a warm-up batch on its own queue, then the measured batch,
/// pre-loaded into its queue before the consumer is connected, so the rate is the consumer's and not the loader's.
/// </summary>
internal static class OutboxCellRunner
{
    private const string WarmupQueue = "bench-warmup";
    private const string WorkQueue = "bench-work";
    private const string DownstreamQueue = "bench-downstream";

    public static async Task<OutboxCellResult> RunAsync(
        TestServers servers, OutboxCell cell, OutboxSettings settings, CancellationToken cancellationToken, bool report = true)
    {
        var purpose = $"bench_{cell.Mode.Name()}_{(cell.Publish ? "pub" : "nopub")}_{cell.InFlight}";
        await using var database = await IsolatedDatabase.CreateAsync(servers, purpose);
        await using var broker = await IsolatedVirtualHost.CreateAsync(servers, purpose.Replace('_', '-'));
        await PrepareAsync(database);

        using var roundTrips = new DatabaseRoundTrips();
        var progress = new CellProgress();
        using var host = Build(cell, database, broker, progress, roundTrips);
        await host.StartAsync(cancellationToken);
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var connector = host.Services.GetRequiredService<IReceiveEndpointConnector>();
            using var observer = bus.ConnectReceiveObserver(progress);
            await RunBatchAsync(bus, connector, cell, progress, roundTrips, WarmupQueue, settings.Warmup, report: false, cancellationToken);
            return await RunBatchAsync(bus, connector, cell, progress, roundTrips, WorkQueue, settings.Messages, report, cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<OutboxCellResult> RunBatchAsync(
        IBus bus, IReceiveEndpointConnector connector, OutboxCell cell, CellProgress progress, DatabaseRoundTrips roundTrips, string queue, int count, bool report, CancellationToken cancellationToken)
    {
        var batch = $"{queue}-{Guid.NewGuid():N}";
        progress.Begin(batch, queue, count, cell.Publish);
        await PreloadAsync(bus, queue, batch, count, cancellationToken);

        var commandsBefore = roundTrips.Commands;
        var commitsBefore = roundTrips.Commits;
        var waitedBefore = roundTrips.Waited;
        var cpuBefore = ProcessCpu.OfThisProcess();
        var started = Stopwatch.GetTimestamp();
        var handle = connector.ConnectReceiveEndpoint(queue, (context, endpoint) =>
        {
            endpoint.PrefetchCount = cell.InFlight;
            endpoint.ConcurrentMessageLimit = cell.InFlight;
            if (cell.Mode == StoreMode.Outbox)
            {
                endpoint.UsePostgresOutbox<BenchmarkDbContext>(context);
            }

            endpoint.ConfigureConsumer<RowUpdateConsumer>(context);
        });
        await handle.Ready.WaitAsync(cancellationToken);

        // Generous: even 20 messages/s finishes; a stuck cell fails instead of hanging the run.
        var deadline = TimeSpan.FromSeconds(30 + (count / 20.0));
        while (!progress.Done.IsCompleted)
        {
            await Task.WhenAny(progress.Done, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (report)
            {
                Console.WriteLine(
                    $"    {elapsed.TotalSeconds,5:F1} s  processed {progress.Processed,6}/{count}  delivered {progress.DeliveredDistinct,6}" +
                    $"  ≈{progress.Processed / elapsed.TotalSeconds,7:F0}/s");
            }

            if (elapsed > deadline)
            {
                throw new TimeoutException(
                    $"{cell}: only {progress.Processed}/{count} processed and {progress.DeliveredDistinct} delivered after {elapsed.TotalSeconds:F0} s " +
                    $"({progress.Faulted} faulted).");
            }
        }

        var processedSeconds = Stopwatch.GetElapsedTime(started, progress.LastProcessedTimestamp).TotalSeconds;
        var completedSeconds = cell.Publish
            ? Stopwatch.GetElapsedTime(started, Math.Max(progress.LastProcessedTimestamp, progress.LastDeliveredTimestamp)).TotalSeconds
            : processedSeconds;
        var cpu = ProcessCpu.OfThisProcess() - cpuBefore;
        await handle.StopAsync(cancellationToken);

        return new OutboxCellResult(
            cell.Mode.Name(),
            cell.Publish,
            cell.InFlight,
            count,
            Math.Round(count / completedSeconds, 1),
            Math.Round(count / processedSeconds, 1),
            Math.Round(completedSeconds, 3),
            progress.DeliveredDistinct,
            progress.DeliveredCopies,
            progress.Faulted,
            Math.Round((roundTrips.Commands - commandsBefore + roundTrips.Commits - commitsBefore) / (double)count, 2),
            Math.Round((roundTrips.Commits - commitsBefore) / (double)count, 2),
            Math.Round((roundTrips.Waited - waitedBefore).TotalMilliseconds / count, 3),
            Math.Round(cpu.TotalMilliseconds / count, 3));
    }

    /// <summary>Sends the batch into the queue (declared by the first send) with publisher confirms, many at a time.</summary>
    private static async Task PreloadAsync(IBus bus, string queue, string batch, int count, CancellationToken cancellationToken)
    {
        var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{queue}"));
        var random = new Random(count);
        for (var sent = 0; sent < count;)
        {
            var chunk = Math.Min(200, count - sent);
            await Task.WhenAll(Enumerable.Range(0, chunk).Select(_ =>
                endpoint.Send(new UpdateRow { Batch = batch, Row = random.Next(1, BenchmarkDbContext.RowCount + 1) }, cancellationToken)));
            sent += chunk;
        }
    }

    public static async Task PrepareAsync(IsolatedDatabase database)
    {
        await using (var db = new BenchmarkDbContext(Options(database.ConnectionString).Options))
        {
            await db.Database.EnsureCreatedAsync();
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO counter_row (id, hits, updated_at) SELECT g, 0, now() FROM generate_series(1, {BenchmarkDbContext.RowCount}) g");
        }
    }

    private static DbContextOptionsBuilder<BenchmarkDbContext> Options(string connectionString) =>
        (DbContextOptionsBuilder<BenchmarkDbContext>)new DbContextOptionsBuilder<BenchmarkDbContext>().UseServiceDatabase(connectionString);

    /// <summary>A bus host for <paramref name="cell"/>; <paramref name="outbox"/> adds the inbox/outbox with those options whatever the mode.</summary>
    public static IHost Build(
        OutboxCell cell, IsolatedDatabase database, IsolatedVirtualHost broker, CellProgress progress, DatabaseRoundTrips roundTrips,
        Action<PostgresOutboxOptions>? outbox = null)
    {
        // MassTransit keeps its log context in an AsyncLocal; each cell's host must not inherit the previous one's.
        LogContext.Current = null;

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(cell);
        builder.Services.AddSingleton(progress);
        // Configured as the services configure theirs (shared/Hosting's AddServiceDatabase), in every mode alike.
        builder.Services.AddDbContext<BenchmarkDbContext>(
            options => options.UseServiceDatabase(database.ConnectionString).AddInterceptors(roundTrips),
            contextLifetime: ServiceLifetime.Scoped,
            optionsLifetime: ServiceLifetime.Singleton);
        builder.Services.AddMassTransit(x =>
        {
            if (cell.Mode == StoreMode.Outbox || outbox is not null)
            {
                x.AddPostgresOutbox<BenchmarkDbContext>(outbox);
            }

            x.AddConsumer<RowUpdateConsumer>();
            x.AddConsumer<DownstreamCounter>();
            x.UsingRabbitMq((context, rabbit) =>
            {
                var amqp = broker.AmqpUrl;
                var credentials = Uri.UnescapeDataString(amqp.UserInfo).Split(':', 2);
                rabbit.Host(amqp.Host, (ushort)amqp.Port, Uri.UnescapeDataString(amqp.AbsolutePath.TrimStart('/')), host =>
                {
                    host.Username(credentials[0]);
                    host.Password(credentials.Length > 1 ? credentials[1] : "");
                });
                rabbit.ReceiveEndpoint(DownstreamQueue, endpoint =>
                {
                    endpoint.PrefetchCount = 64;
                    endpoint.ConcurrentMessageLimit = 64;
                    endpoint.ConfigureConsumer<DownstreamCounter>(context);
                });
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
}

/// <summary>One cell's figures. <c>MessagesPerSecond</c> counts until every message is processed and, when the consumer publishes, every downstream message arrived.</summary>
internal sealed record OutboxCellResult(
    string Mode,
    bool Publish,
    int InFlight,
    int Messages,
    double MessagesPerSecond,
    double ProcessedPerSecond,
    double Seconds,
    int DeliveredDistinct,
    int DeliveredCopies,
    int Faulted,
    double DatabaseRoundTripsPerMessage,
    double TransactionsPerMessage,
    double DatabaseMillisecondsPerMessage,
    double ClientCpuMillisecondsPerMessage);
