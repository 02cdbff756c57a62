using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Forgets consumed message ids once the duplicate-detection window has passed (delivered longer ago than the
/// window), in batches of single <c>DELETE</c> statements. Also removes, as a last resort, inbox rows that never
/// finished delivering and are far older than the window (<see cref="PostgresOutboxOptions.AbandonAfter"/>) — the
/// official package keeps those forever. Bus outboxes that could not be delivered for as long go the same way.
/// </summary>
internal sealed partial class InboxCleanupService<TDbContext>(
    IServiceScopeFactory scopes,
    IOptionsMonitor<PostgresOutboxOptions> optionsMonitor,
    ILogger<InboxCleanupService<TDbContext>> logger,
    IServiceProvider provider) : BackgroundService
    where TDbContext : DbContext
{
    private readonly PostgresOutboxOptions _options = optionsMonitor.Get(PostgresOutboxOptions.NameFor(typeof(TDbContext)));
    private readonly TimeProvider _clock = provider.GetService<TimeProvider>() ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CleanUpAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogCleanupFailed(logger, exception.Message);
            }

            await Task.Delay(_options.QueryDelay, _clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One cleanup round; returns how many inbox rows were removed.</summary>
    internal async Task<int> CleanUpAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var now = UtcClock.Now(_clock);
        var removed = 0;

        var deliveredBefore = now - _options.DuplicateDetectionWindow;
        int batch;
        do
        {
            batch = await db.Set<InboxState>()
                .Where(i => i.Delivered != null && i.Delivered < deliveredBefore)
                .OrderBy(i => i.Id)
                .Take(_options.QueryMessageLimit)
                .ExecuteDeleteAsync(cancellationToken);
            removed += batch;
        }
        while (batch == _options.QueryMessageLimit && !cancellationToken.IsCancellationRequested);

        removed += await RemoveAbandonedAsync(db, now - _options.AbandonAfter, cancellationToken);
        await RemoveAbandonedBusOutboxesAsync(db, now - _options.AbandonAfter, cancellationToken);
        if (removed > 0)
        {
            LogRemoved(logger, removed);
        }

        return removed;
    }

    private async Task<int> RemoveAbandonedAsync(TDbContext db, DateTime receivedBefore, CancellationToken cancellationToken)
    {
        var abandoned = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<InboxState>()
                .Where(i => i.Delivered == null && i.Received < receivedBefore)
                .OrderBy(i => i.Id)
                .Take(_options.QueryMessageLimit)
                .Select(i => new { i.Id, i.MessageId, i.ConsumerId }),
            cancellationToken);
        foreach (var row in abandoned)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var messages = await OutboxMessageQueries.RemoveForInboxAsync(db, row.MessageId, row.ConsumerId, cancellationToken);
            await db.Set<InboxState>().Where(i => i.Id == row.Id).ExecuteDeleteAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogAbandoned(logger, row.MessageId, messages);
        }

        return abandoned.Count;
    }

    private async Task RemoveAbandonedBusOutboxesAsync(TDbContext db, DateTime createdBefore, CancellationToken cancellationToken)
    {
        var abandoned = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<OutboxState>().Where(o => o.Created < createdBefore).OrderBy(o => o.Created).Select(o => o.OutboxId).Take(_options.QueryMessageLimit),
            cancellationToken);
        foreach (var outboxId in abandoned)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var messages = await OutboxMessageQueries.RemoveForOutboxesAsync(db, [outboxId], cancellationToken);
            await db.Set<OutboxState>().Where(o => o.OutboxId == outboxId).ExecuteDeleteAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogAbandonedOutbox(logger, outboxId, messages);
        }
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Bus outbox {OutboxId} never finished delivering; removed it with {Count} undelivered message(s)")]
    private static partial void LogAbandonedOutbox(ILogger logger, Guid outboxId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Inbox cleanup removed {Count} row(s)")]
    private static partial void LogRemoved(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Inbox row of message {MessageId} never finished delivering; removed it with {Count} undelivered message(s)")]
    private static partial void LogAbandoned(ILogger logger, Guid messageId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbox cleanup failed: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);
}
