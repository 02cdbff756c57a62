using MassTransit;
using MassTransit.Middleware.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Sends stored messages that nobody else will send:
/// <list type="bullet">
/// <item>messages consumers committed but never delivered — the process died between the commit and the delivery,
/// or the delivery failed and the message went to the error queue. The official package finishes those only if the
/// same message happens to be redelivered;</item>
/// <item>bus outboxes (messages published outside consumers, committed by the caller's <c>SaveChanges</c>); a
/// committed scope wakes the service at once.</item>
/// </list>
/// Each inbox row or bus outbox is delivered in its own transaction that holds its row (<c>FOR UPDATE SKIP LOCKED</c>,
/// so a live pass or another instance is never waited for), in sequence order, stopping at the first failed send.
/// A sweep whose sends all failed doubles the pause before the next one (no hot loop against a dead broker, PR #6216).
/// </summary>
internal sealed partial class OutboxDeliveryService<TDbContext>(
    IServiceScopeFactory scopes,
    IBusControl bus,
    IOptionsMonitor<PostgresOutboxOptions> optionsMonitor,
    ILogger<OutboxDeliveryService<TDbContext>> logger,
    IServiceProvider provider) : BackgroundService
    where TDbContext : DbContext
{
    private readonly PostgresOutboxOptions _options = optionsMonitor.Get(PostgresOutboxOptions.NameFor(typeof(TDbContext)));
    private readonly TimeProvider _clock = provider.GetService<TimeProvider>() ?? TimeProvider.System;
    private readonly IBusOutboxNotification? _notification = provider.GetService<IBusOutboxNotification>();
    private readonly StoredMessageSender _sender = new(bus, logger);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var faults = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            SweepResult result;
            try
            {
                await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
                result = await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogSweepFailed(logger, exception.Message);
                result = new SweepResult(Sent: 0, Faulted: 1, Full: false);
            }

            faults = result.Faulted > 0 && result.Sent == 0 ? faults + 1 : 0;
            if (result.Full && faults == 0)
            {
                continue; // More rows are waiting.
            }

            await PauseAsync(faults, stoppingToken);
        }
    }

    private async Task PauseAsync(int faults, CancellationToken stoppingToken)
    {
        try
        {
            if (faults > 0)
            {
                var backoff = _options.QueryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(faults, 16));
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(backoff, _options.MaxFaultBackoff.TotalMilliseconds)), _clock, stoppingToken);
            }
            else if (_notification is not null)
            {
                await _notification.WaitForDelivery(stoppingToken); // A committed bus outbox, or QueryDelay.
            }
            else
            {
                await Task.Delay(_options.QueryDelay, _clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<SweepResult> SweepAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.QueryTimeout);

        List<long> inboxRows;
        List<Guid> outboxes;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
            var consumedBefore = UtcClock.Now(_clock) - _options.SweepAfter;
            inboxRows = await EntityFrameworkQueryableExtensions.ToListAsync(
                db.Set<InboxState>()
                    .Where(i => i.Consumed != null && i.Consumed <= consumedBefore && i.Delivered == null)
                    .OrderBy(i => i.Consumed)
                    .Select(i => i.Id)
                    .Take(_options.QueryMessageLimit),
                timeout.Token);
            outboxes = await EntityFrameworkQueryableExtensions.ToListAsync(
                db.Set<OutboxState>().OrderBy(o => o.Created).Select(o => o.OutboxId).Take(_options.QueryMessageLimit),
                timeout.Token);
        }

        var result = new SweepResult(0, 0, inboxRows.Count == _options.QueryMessageLimit || outboxes.Count == _options.QueryMessageLimit);
        foreach (var id in outboxes)
        {
            result = result.Add(await DeliverOutboxAsync(id, timeout.Token));
        }

        foreach (var id in inboxRows)
        {
            result = result.Add(await DeliverInboxAsync(id, timeout.Token));
        }

        return result;
    }

    private async Task<SendOutcome> DeliverInboxAsync(long inboxId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);

        var inbox = await RowLocks.TryLockUndeliveredInboxAsync(db, inboxId, cancellationToken);
        if (inbox is null)
        {
            return default; // Delivered meanwhile, or a live pass holds it.
        }

        var rows = await OutboxMessageQueries.PendingForInboxAsync(
            db, inbox.MessageId, inbox.ConsumerId, inbox.LastSequenceNumber ?? 0, _options.MessageDeliveryLimit + 1, cancellationToken);
        var outcome = await _sender.SendInOrderAsync(rows, _options.MessageDeliveryLimit, _options.MessageDeliveryTimeout, cancellationToken);
        inbox.LastSequenceNumber = outcome.LastSequenceNumber ?? inbox.LastSequenceNumber;
        if (outcome.Drained)
        {
            inbox.Delivered = UtcClock.Now(_clock);
            await OutboxMessageQueries.RemoveForInboxAsync(db, inbox.MessageId, inbox.ConsumerId, cancellationToken);
            LogInboxDelivered(logger, inbox.MessageId, outcome.Sent);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    private async Task<SendOutcome> DeliverOutboxAsync(Guid outboxId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);

        var outbox = await RowLocks.TryLockOutboxAsync(db, outboxId, cancellationToken);
        if (outbox is null)
        {
            return default; // Another instance is delivering it, or it is gone.
        }

        var rows = await OutboxMessageQueries.PendingForOutboxAsync(
            db, outboxId, outbox.LastSequenceNumber ?? 0, _options.MessageDeliveryLimit + 1, cancellationToken);
        var outcome = await _sender.SendInOrderAsync(rows, _options.MessageDeliveryLimit, _options.MessageDeliveryTimeout, cancellationToken);
        if (outcome.Drained)
        {
            // Nothing to remember about a delivered bus outbox: no duplicate detection hangs on it.
            await OutboxMessageQueries.RemoveForOutboxAsync(db, outboxId, cancellationToken);
            db.Remove(outbox);
            LogOutboxDelivered(logger, outboxId, outcome.Sent);
        }
        else
        {
            outbox.LastSequenceNumber = outcome.LastSequenceNumber ?? outbox.LastSequenceNumber;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    private readonly record struct SweepResult(int Sent, int Faulted, bool Full)
    {
        public SweepResult Add(SendOutcome outcome) => this with { Sent = Sent + outcome.Sent, Faulted = Faulted + (outcome.Faulted ? 1 : 0) };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox delivery service sent {Count} stored message(s) of inbox message {MessageId}")]
    private static partial void LogInboxDelivered(ILogger logger, Guid messageId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox delivery service sent {Count} message(s) of bus outbox {OutboxId}")]
    private static partial void LogOutboxDelivered(ILogger logger, Guid outboxId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox delivery sweep failed; backing off: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
