using MassTransit;
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
/// <item>bus outboxes (messages published outside consumers, committed by the caller's <c>SaveChanges</c>) that the
/// committing scope did not send itself (<see cref="PostgresOutboxOptions.DeliverAtCommit"/>): a failed send, or a
/// process that died first. Like inbox rows, they qualify <see cref="PostgresOutboxOptions.SweepAfter"/> after their
/// commit, so a sweep never races the scope's own send.</item>
/// </list>
/// Each inbox row is delivered in its own transaction that holds its row, and the bus outboxes of a sweep in one
/// transaction that holds theirs (<c>FOR UPDATE SKIP LOCKED</c>, so a live pass or another instance is never waited
/// for), in sequence order, stopping at the first failed send.
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
    private readonly StoredMessageSender _sender = new(bus, logger);
    private DateTime _nextInboxSweep = DateTime.MinValue;

    /// <summary>Failed bus outboxes after which a batch starts no more sends (the broker is probably unreachable).</summary>
    private const int MaxFaults = 3;

    /// <summary>How many bus outboxes of a batch are sent at the same time.</summary>
    private const int ConcurrentOutboxSends = 16;

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

        // Bus outboxes are locked and read in the delivering transaction itself (no separate listing query).
        var now = UtcClock.Now(_clock);
        var (result, lockedOutboxes) = await DeliverOutboxesAsync(now - _options.SweepAfter, timeout.Token);
        var sweep = new SweepResult(0, 0, Full: lockedOutboxes == _options.QueryMessageLimit).Add(result);

        // A full batch of outboxes makes the service sweep again at once: inbox rows are still looked for once per QueryDelay.
        if (now < _nextInboxSweep)
        {
            return sweep;
        }

        _nextInboxSweep = now + _options.QueryDelay;
        List<long> inboxRows;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
            var consumedBefore = now - _options.SweepAfter;
            inboxRows = await EntityFrameworkQueryableExtensions.ToListAsync(
                db.Set<InboxState>()
                    .Where(i => i.Consumed != null && i.Consumed <= consumedBefore && i.Delivered == null)
                    .OrderBy(i => i.Consumed)
                    .Select(i => i.Id)
                    .Take(_options.QueryMessageLimit),
                timeout.Token);
        }

        if (inboxRows.Count == _options.QueryMessageLimit)
        {
            sweep = sweep with { Full = true };
            _nextInboxSweep = now; // More are waiting: look again right after this batch.
        }

        foreach (var id in inboxRows)
        {
            sweep = sweep.Add(await DeliverInboxAsync(id, timeout.Token));
        }

        return sweep;
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

    /// <summary>
    /// Delivers the oldest bus outboxes (up to QueryMessageLimit) in one transaction that holds their rows (skipping those another instance
    /// holds), each in its own order and up to <see cref="ConcurrentOutboxSends"/> at once, each stopping at its first
    /// failed send (others still go out). Delivered outboxes are deleted with their messages; a partly sent one keeps
    /// its position. One lock, one read and one delete for the whole batch, instead of a transaction per outbox, which
    /// capped API-published messages at a few hundred a second.
    /// </summary>
    private async Task<(SendOutcome Outcome, int Locked)> DeliverOutboxesAsync(DateTime createdBefore, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);

        var locked = await RowLocks.TryLockOldestOutboxesAsync(db, _options.QueryMessageLimit, createdBefore, cancellationToken);
        if (locked.Count == 0)
        {
            return default; // None waiting, or other instances are delivering them.
        }

        var messages = (await OutboxMessageQueries.PendingForOutboxesAsync(db, [.. locked.Select(o => o.OutboxId)], cancellationToken))
            .ToLookup(m => m.OutboxId!.Value);

        // Outboxes are independent of each other (only the messages of one have an order), so their sends overlap:
        // the broker's publisher confirms are awaited side by side instead of one after another.
        var outcomes = new SendOutcome[locked.Count];
        var faults = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, locked.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentOutboxSends, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                // Several failing outboxes mean the broker is gone: leave the rest to the next sweep, after the backoff.
                if (Volatile.Read(ref faults) >= MaxFaults)
                {
                    outcomes[i] = new SendOutcome(0, Faulted: false, Drained: false, LastSequenceNumber: null);
                    return;
                }

                var outbox = locked[i];
                var rows = messages[outbox.OutboxId].Where(m => m.SequenceNumber > (outbox.LastSequenceNumber ?? 0)).ToList();
                outcomes[i] = await _sender.SendInOrderAsync(rows, _options.MessageDeliveryLimit, _options.MessageDeliveryTimeout, token);
                if (outcomes[i].Faulted)
                {
                    Interlocked.Increment(ref faults);
                }
            });

        var delivered = new List<OutboxState>();
        for (var i = 0; i < locked.Count; i++)
        {
            if (outcomes[i] is { Drained: true, Faulted: false })
            {
                delivered.Add(locked[i]);
            }
            else
            {
                // Partly sent (a poison message, a failed send, a long outbox): it keeps its position.
                locked[i].LastSequenceNumber = outcomes[i].LastSequenceNumber ?? locked[i].LastSequenceNumber;
            }
        }

        var total = new SendOutcome(
            outcomes.Sum(o => o.Sent), Faulted: faults > 0, Drained: delivered.Count == locked.Count, LastSequenceNumber: null);
        if (delivered.Count > 0)
        {
            // Nothing to remember about a delivered bus outbox: no duplicate detection hangs on it.
            await OutboxMessageQueries.RemoveForOutboxesAsync(db, [.. delivered.Select(o => o.OutboxId)], cancellationToken);
            db.RemoveRange(delivered);
            LogOutboxesDelivered(logger, delivered.Count, total.Sent);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (total, locked.Count);
    }

    private readonly record struct SweepResult(int Sent, int Faulted, bool Full)
    {
        public SweepResult Add(SendOutcome outcome) => this with { Sent = Sent + outcome.Sent, Faulted = Faulted + (outcome.Faulted ? 1 : 0) };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox delivery service sent {Count} stored message(s) of inbox message {MessageId}")]
    private static partial void LogInboxDelivered(ILogger logger, Guid messageId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox delivery service delivered {Outboxes} bus outbox(es) with {Count} message(s)")]
    private static partial void LogOutboxesDelivered(ILogger logger, int outboxes, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox delivery sweep failed; backing off: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
