using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>
/// How fast the delivery service sends what the bus outbox stored (the path of <c>POST /api/runs</c> → <c>StartRun</c>,
/// and of consumed messages whose own delivery failed): one process commits N bus outboxes of one message each with
/// the delivery service off, a second process starts with it on, and the time until all N arrived downstream is
/// measured. The delivery service takes one outbox at a time, each in its own transaction, so this is a
/// serial path whatever the number of messages in flight elsewhere.
/// </summary>
internal static class BusOutboxDrain
{
    public static async Task<BusOutboxDrainResult> RunAsync(TestServers servers, int count, CancellationToken cancellationToken)
    {
        await using var database = await IsolatedDatabase.CreateAsync(servers, "bench_bus_outbox");
        await using var broker = await IsolatedVirtualHost.CreateAsync(servers, "bench-bus-outbox");
        await OutboxCellRunner.PrepareAsync(database);
        var cell = new OutboxCell(StoreMode.Outbox, Publish: true, InFlight: 8);
        using var roundTrips = new DatabaseRoundTrips();
        var progress = new CellProgress();
        var batch = $"bus-outbox-{Guid.NewGuid():N}";

        // The writer: like API requests, each commits one outbox in its own scope; nothing is sent yet.
        var storing = Stopwatch.StartNew();
        using (var writer = OutboxCellRunner.Build(cell, database, broker, progress, roundTrips, o =>
        {
            o.UseBusOutbox();
            o.DeliverAtCommit = false; // What is measured is the delivery service's sweep.
            o.DeliveryService = false;
            o.InboxCleanupService = false;
        }))
        {
            await writer.StartAsync(cancellationToken);
            var random = new Random(count);
            var rows = Enumerable.Range(0, count).Select(_ => random.Next(1, BenchmarkDbContext.RowCount + 1)).ToList();
            await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (row, ct) =>
            {
                await using var scope = writer.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BenchmarkDbContext>();
                await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new RowUpdated { Batch = batch, Row = row }, ct);
                await db.SaveChangesAsync(ct);
            });
            await writer.StopAsync(CancellationToken.None);
        }

        storing.Stop();
        Console.WriteLine($"    stored {count} bus outboxes in {storing.Elapsed.TotalSeconds:F1} s; starting a process with the delivery service");

        // The deliverer: its delivery service finds them at its first sweep and keeps sweeping while sweeps are full.
        progress.Begin(batch, "bench-none", count, expectDownstream: true);
        using var deliverer = OutboxCellRunner.Build(cell, database, broker, progress, roundTrips, o =>
        {
            o.InboxCleanupService = false;
            o.SweepAfter = TimeSpan.Zero; // Take the stored outboxes at once (they would qualify after SweepAfter).
        });
        var commandsBefore = roundTrips.Commands + roundTrips.Commits;
        var started = Stopwatch.GetTimestamp();
        await deliverer.StartAsync(cancellationToken);
        var deadline = TimeSpan.FromSeconds(60 + (count / 10.0));
        while (progress.DeliveredDistinct < count)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            Console.WriteLine($"    {elapsed.TotalSeconds,5:F1} s  delivered {progress.DeliveredDistinct,6}/{count}  ≈{progress.DeliveredDistinct / elapsed.TotalSeconds,7:F0}/s");
            if (elapsed > deadline)
            {
                throw new TimeoutException($"bus outbox drain: only {progress.DeliveredDistinct}/{count} delivered after {elapsed.TotalSeconds:F0} s.");
            }
        }

        var seconds = Stopwatch.GetElapsedTime(started, progress.LastDeliveredTimestamp).TotalSeconds;
        var roundTripsPerOutbox = (roundTrips.Commands + roundTrips.Commits - commandsBefore) / (double)count;
        await deliverer.StopAsync(CancellationToken.None);
        await using var check = new BenchmarkDbContext(new DbContextOptionsBuilder<BenchmarkDbContext>()
            .UseNpgsql(database.ConnectionString).UseSnakeCaseNamingConvention().Options);
        var left = await check.Set<Messaging.Outbox.OutboxState>().CountAsync(cancellationToken);
        return new BusOutboxDrainResult(count, Math.Round(count / storing.Elapsed.TotalSeconds, 1), Math.Round(count / seconds, 1),
            Math.Round(roundTripsPerOutbox, 2), progress.DeliveredDistinct, progress.DeliveredCopies, left);
    }
}

/// <summary>The drain's figures: how fast outboxes were stored (8 writers) and delivered, and what was left.</summary>
internal sealed record BusOutboxDrainResult(
    int Outboxes,
    double StoredPerSecond,
    double DeliveredPerSecond,
    double DatabaseRoundTripsPerOutbox,
    int DeliveredDistinct,
    int DeliveredCopies,
    int OutboxesLeft);
