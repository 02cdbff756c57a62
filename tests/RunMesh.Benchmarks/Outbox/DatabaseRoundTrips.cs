using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>
/// Counts what a message costs in database round trips: every command or batch Npgsql executes (its own metrics,
/// so the outbox's raw <c>NpgsqlBatch</c> counts too) plus every EF Core transaction commit (a round trip of its
/// own; Npgsql sends BEGIN together with the first command, so a BEGIN costs none).
/// </summary>
internal sealed class DatabaseRoundTrips : DbTransactionInterceptor, IDisposable
{
    private readonly MeterListener _listener = new();
    private long _commands;
    private long _commits;
    private long _commandMicroseconds;
    private long _commitMicroseconds;

    public DatabaseRoundTrips()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && IsCommandDuration(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            Interlocked.Increment(ref _commands);
            Interlocked.Add(ref _commandMicroseconds, (long)(seconds * 1_000_000));
        });
        _listener.Start();
    }

    public long Commands => Interlocked.Read(ref _commands);

    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Time spent waiting for the database (commands and commits), summed over concurrent messages.</summary>
    public TimeSpan Waited => TimeSpan.FromMicroseconds(Interlocked.Read(ref _commandMicroseconds) + Interlocked.Read(ref _commitMicroseconds));

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _commitMicroseconds, (long)eventData.Duration.TotalMicroseconds);
        return Task.CompletedTask;
    }

    public void Dispose() => _listener.Dispose();

    // Npgsql names it after OpenTelemetry's database conventions; older and newer names both mean one execution.
    private static bool IsCommandDuration(string name) =>
        name is "db.client.operation.duration" or "db.client.commands.duration";
}
