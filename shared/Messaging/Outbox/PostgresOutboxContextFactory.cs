using System.Data;
using System.Data.Common;
using System.Diagnostics;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// The transactional inbox/outbox on <typeparamref name="TDbContext"/> (the equivalent of MassTransit's
/// <c>EntityFrameworkOutboxContextFactory</c>), driving MassTransit's core outbox pipe:
/// <list type="number">
/// <item>the consume pass, one READ COMMITTED transaction: claim the message's inbox row (insert or row lock, one
/// statement), run the consumer, store its sends as rows, mark the row consumed, commit. A consumer that sent nothing
/// is also marked delivered and acknowledged in this transaction;</item>
/// <item>the delivery, right after that commit: the stored messages are sent from memory
/// (<see cref="CommittedOutboxDelivery{TMessage}"/>) and the broker message is acknowledged; the row's delivered mark
/// and the deletion of its messages are written a moment later, batched with other messages' marks
/// (<see cref="DeliveryMarkWriter{TDbContext}"/>).</item>
/// </list>
/// A duplicate claims the row and finds it consumed: delivered → acknowledged without running the consumer; not
/// delivered → delivered in a transaction that holds the row, unless it is a fresh duplicate of a message consumed
/// moments ago, whose own pass is delivering (if that pass died, the delivery service takes over). READ COMMITTED + row locks never raise serialization failures (MassTransit #5114, which
/// comes from REPEATABLE READ + FOR UPDATE); deadlocks are retried by the retry filter in front of the outbox.
/// </summary>
internal sealed partial class PostgresOutboxContextFactory<TDbContext>(
    TDbContext db,
    IServiceProvider provider,
    IOptionsMonitor<PostgresOutboxOptions> optionsMonitor,
    ILogger<PostgresOutboxContextFactory<TDbContext>> logger) : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    private readonly TimeProvider _clock = provider.GetService<TimeProvider>() ?? TimeProvider.System;
    private readonly DeliveryMarkWriter<TDbContext> _marks = provider.GetRequiredService<DeliveryMarkWriter<TDbContext>>();
    private readonly TimeSpan _sweepAfter = optionsMonitor.Get(PostgresOutboxOptions.NameFor(typeof(TDbContext))).SweepAfter;

    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = context.GetOriginalMessageId() ?? throw new MessageException(typeof(T), "MessageId required to use the outbox");
        var strategy = db.Database.CreateExecutionStrategy();

        var pass = await strategy.ExecuteAsync(() => PassAsync(context, options, next, messageId, countReceive: true));
        if (pass.Committed is { } committed)
        {
            await DeliverCommittedAsync(context, options, next, committed.Inbox, committed.Messages);
            return;
        }

        while (pass.ContinueProcessing)
        {
            pass = await strategy.ExecuteAsync(() => PassAsync(context, options, next, messageId, countReceive: false));
        }
    }

    public void Probe(ProbeContext context) =>
        context.CreateFilterScope("outboxContextFactory").Add("provider", "postgres");

    private async Task<PassResult> PassAsync<T>(
        ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next, Guid messageId, bool countReceive)
        where T : class
    {
        var timer = Stopwatch.StartNew();
        var cancellationToken = context.CancellationToken;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

        OutboxPass.Begin(db);
        try
        {
            var now = UtcClock.Now(_clock);
            var claimPolicy = InboxClaimPolicy.Of(context);
            var markDelivered = claimPolicy.ClaimsDelivered(options.ConsumerId);
            var claim = countReceive
                ? await RowLocks.ClaimInboxAsync(db, messageId, options.ConsumerId, now, context.ExpirationTime, markDelivered, cancellationToken)
                : new ClaimedInbox(await RowLocks.LockInboxAsync(db, messageId, options.ConsumerId, cancellationToken), IsNew: false);
            var inbox = claim.Row;
            var deliveringElsewhere = !claim.IsNew && IsBeingDeliveredElsewhere(context, inbox, now);
            var outbox = new PostgresOutboxConsumeContext<T>(context, options, provider, db, transaction, claim, _clock, deliveringElsewhere);

            do
            {
                await next.Send(outbox);
            }
            while (outbox.ContinueProcessing && !outbox.MustCommitBeforeDelivery);

            await CommitAsync(context, transaction, timer, cancellationToken);
            if (outbox.RanConsumer)
            {
                claimPolicy.PassCommitted(options.ConsumerId, outbox.StoredMessages.Count > 0);
            }

            LogPassCommitted(logger, messageId, options.ConsumerType, inbox.Consumed.HasValue, inbox.Delivered.HasValue);

            // Later passes must see rows as the database has them (a tracked inbox row would keep its old xmin and
            // fail the concurrency check); the consumer is done with its entities by now.
            db.ChangeTracker.Clear();
            return outbox.MustCommitBeforeDelivery && outbox.ContinueProcessing
                ? new PassResult(true, (inbox, outbox.StoredMessages))
                : new PassResult(outbox.ContinueProcessing, null);
        }
        catch
        {
            await RollbackAsync(transaction);
            throw;
        }
        finally
        {
            OutboxPass.End(db);
        }
    }

    /// <summary>
    /// A fresh duplicate (neither a retry nor a broker redelivery) of a message consumed moments ago: the pass that
    /// consumed it is delivering its messages right now, so this one must not send them too. A retry or a
    /// redelivery may be the only one left to deliver them (the first attempt's commit outcome was lost, or its
    /// process died), so those deliver.
    /// </summary>
    private bool IsBeingDeliveredElsewhere(ConsumeContext context, InboxState inbox, DateTime now) =>
        inbox is { Consumed: { } consumed, Delivered: null }
        && now - consumed < _sweepAfter
        && context.GetRetryAttempt() == 0
        && !context.ReceiveContext.Redelivered;

    private async Task DeliverCommittedAsync<T>(
        ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next,
        InboxState inbox, IReadOnlyList<OutboxMessage> messages)
        where T : class
    {
        var delivery = new CommittedOutboxDelivery<T>(context, options, provider, inbox, messages, _clock);
        do
        {
            await next.Send(delivery);
        }
        while (delivery.ContinueProcessing);

        if (delivery.Inbox.Delivered is null)
        {
            return; // More than MessageDeliveryLimit messages: the delivery service sends the rest.
        }

        try
        {
            await _marks.MarkAsync(db, InboxDeliveryMark.Of(delivery.Inbox), context.CancellationToken);
        }
        catch (Exception exception) when (exception is DbException or InvalidOperationException or TimeoutException)
        {
            // Sent, but not marked: the delivery service sends them again after SweepAfter (at-least-once), and the
            // receivers' inboxes drop the copies. Faulting the consumed message would achieve nothing more.
            LogMarkFailed(logger, inbox.MessageId, exception.Message);
        }
    }

    private async Task CommitAsync<T>(ConsumeContext<T> context, IDbContextTransaction transaction, Stopwatch timer, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            // The consumer already reported success; the commit decides, so observers must see the fault.
            await context.NotifyFaulted(timer.Elapsed, typeof(T).Name, exception);
            throw;
        }
    }

    private async Task RollbackAsync(IDbContextTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogRollbackFailed(logger, exception.Message);
        }

        // Entities of the failed pass (a consumed inbox row, stored messages) must not leak into the retry
        // through the same scoped DbContext (MassTransit #4474/#4470).
        db.ChangeTracker.Clear();
    }

    /// <summary>Whether another pass is needed, and the messages this pass committed for the delivery that follows.</summary>
    private readonly record struct PassResult(bool ContinueProcessing, (InboxState Inbox, IReadOnlyList<OutboxMessage> Messages)? Committed);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "Outbox pass committed for message {MessageId} ({ConsumerType}): consumed={Consumed}, delivered={Delivered}")]
    private static partial void LogPassCommitted(ILogger logger, Guid messageId, string consumerType, bool consumed, bool delivered);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox rollback failed (the server rolls back on its own): {Reason}")]
    private static partial void LogRollbackFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Messages of {MessageId} were sent but could not be marked delivered; the delivery service will send them again: {Reason}")]
    private static partial void LogMarkFailed(ILogger logger, Guid messageId, string reason);
}
