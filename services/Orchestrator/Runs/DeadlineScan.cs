using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Hosting.Background;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs.Journal;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// The durable timer of the run lifecycle. Every <see cref="OrchestratorOptions.DeadlineScanIntervalMilliseconds"/> it
/// claims due <c>run_deadlines</c> rows with <c>FOR UPDATE SKIP LOCKED</c> (several orchestrator replicas never claim the
/// same row) and, in one transaction, publishes the timer message through the bus outbox and deletes the row. It never
/// edits a run: the saga decides what the timer means when it receives the message.
/// </summary>
internal sealed partial class DeadlineScan(
    IServiceScopeFactory scopes,
    IOptions<OrchestratorOptions> options,
    TimeProvider clock,
    ILogger<DeadlineScan> logger) : PeriodicScan(clock, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.DeadlineScanIntervalMilliseconds);

    protected override int BatchSize => options.Value.DeadlineScanBatchSize;

    /// <summary>Fires the deadlines due now; returns how many.</summary>
    public override async Task<int> ScanOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = Clock.GetUtcNow();
        var due = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.RunDeadlines.FromSqlInterpolated(
                $"SELECT * FROM run_deadlines WHERE due_at <= {now} ORDER BY due_at LIMIT {options.Value.DeadlineScanBatchSize} FOR UPDATE SKIP LOCKED"),
            cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        foreach (var deadline in due)
        {
            await publish.Publish(TimerMessage(deadline), deadline.Kind switch
            {
                DeadlineKind.Attempt => typeof(PhaseTimedOut),
                DeadlineKind.Backoff => typeof(RetryBackoffElapsed),
                _ => typeof(RunTimedOut),
            }, cancellationToken);
        }

        db.RunDeadlines.RemoveRange(due);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogFired(Logger, due.Count);
        return due.Count;
    }

    private static object TimerMessage(RunDeadlineRow deadline) => deadline.Kind switch
    {
        DeadlineKind.Attempt => new PhaseTimedOut
        {
            RunId = deadline.RunId,
            PhaseKey = deadline.PhaseKey ?? "",
            Attempt = deadline.Attempt ?? 0,
            ExecutionId = deadline.ExecutionId ?? Guid.Empty,
        },
        DeadlineKind.Backoff => new RetryBackoffElapsed
        {
            RunId = deadline.RunId,
            PhaseKey = deadline.PhaseKey ?? "",
            Attempt = deadline.Attempt ?? 0,
        },
        _ => new RunTimedOut { RunId = deadline.RunId, Generation = deadline.Generation ?? 0 },
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deadline scan fired {Count} deadline(s)")]
    private static partial void LogFired(ILogger logger, int count);
}
