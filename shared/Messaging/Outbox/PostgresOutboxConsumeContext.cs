using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// One pass of the inbox/outbox over one consumed message, inside the transaction that holds its inbox row locked.
/// MassTransit's core pipe drives it: run the consumer and <see cref="SetConsumed"/>, then deliver the stored
/// messages, then <see cref="SetDelivered"/> and <see cref="RemoveOutboxMessages"/>. Whatever the consumer sends or
/// publishes meanwhile arrives in <see cref="AddSend{T}"/> and becomes an <see cref="OutboxMessage"/> row.
/// </summary>
internal sealed class PostgresOutboxConsumeContext<TMessage> : OutboxConsumeContextProxy<TMessage>, IPostgresTransactionContext
    where TMessage : class
{
    private readonly DbContext _db;
    private readonly IDbContextTransaction _transaction;
    private readonly InboxState _inbox;
    private readonly bool _claimedNew;
    private readonly TimeProvider _clock;
    private readonly bool _deliveringElsewhere;
    private readonly List<OutboxMessage> _stored = [];
    private bool _consumedInThisTransaction;
    private bool _deliveredInThisTransaction;

    public PostgresOutboxConsumeContext(
        ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider,
        DbContext db, IDbContextTransaction transaction, ClaimedInbox claim, TimeProvider clock, bool deliveringElsewhere)
        : base(context, options, provider)
    {
        _db = db;
        _transaction = transaction;
        _inbox = claim.Row;
        _claimedNew = claim.IsNew;
        _clock = clock;
        _deliveringElsewhere = deliveringElsewhere;
    }

    public Guid TransactionId => _transaction.TransactionId;

    public override Guid? MessageId => _inbox.MessageId;

    public override bool ContinueProcessing { get; set; } = true;

    /// <summary>
    /// A row this transaction inserted already carries the consumed mark (and perhaps the delivered one) it will have
    /// at commit (<see cref="RowLocks.ClaimInboxAsync"/>); until the pipe sets them, the pass must not believe them.
    /// </summary>
    public override bool IsMessageConsumed => _claimedNew ? _consumedInThisTransaction : _inbox.Consumed.HasValue;

    /// <summary>
    /// Delivered — or being delivered right now by the pass that consumed the message moments ago: a duplicate then
    /// only acknowledges (sending too would duplicate every message), and if that pass died, the delivery service
    /// takes over after <see cref="PostgresOutboxOptions.SweepAfter"/>.
    /// </summary>
    public override bool IsOutboxDelivered =>
        (_claimedNew ? _deliveredInThisTransaction : _inbox.Delivered.HasValue) || _deliveringElsewhere;

    public override int ReceiveCount => _inbox.ReceiveCount;

    public override long? LastSequenceNumber => _inbox.LastSequenceNumber;

    /// <summary>
    /// True when this transaction ran the consumer and stored messages: they must be committed before anything is
    /// sent, so the next pass (delivery) runs in a transaction of its own. Otherwise the following passes may run in
    /// this same transaction, which saves a round of lock-and-commit per message.
    /// </summary>
    public bool MustCommitBeforeDelivery => _consumedInThisTransaction && StoredCount > 0;

    /// <summary>Whether the consumer ran in this transaction.</summary>
    public bool RanConsumer => _consumedInThisTransaction;

    /// <summary>The rows the consumer stored in this transaction, in the order they were stored.</summary>
    public IReadOnlyList<OutboxMessage> StoredMessages
    {
        get
        {
            lock (_stored)
            {
                return [.. _stored];
            }
        }
    }

    /// <summary>The consumer ran in this transaction and stored nothing: there is nothing to load or delete.</summary>
    private bool NothingStored => _consumedInThisTransaction && StoredCount == 0;

    private int StoredCount
    {
        get
        {
            lock (_stored)
            {
                return _stored.Count;
            }
        }
    }

    // The marks are written by the pass's one SaveChanges before its commit, together with the consumer's changes
    // and the stored messages: at most one UPDATE of the inbox row per transaction, and none for a new row whose
    // consumer stored nothing (the claim wrote its marks).
    public override Task SetConsumed()
    {
        if (!_claimedNew)
        {
            _inbox.Consumed = UtcClock.Now(_clock);
        }

        _consumedInThisTransaction = true;
        return Task.CompletedTask;
    }

    public override Task SetDelivered()
    {
        if (!_claimedNew || _inbox.Delivered is null)
        {
            _inbox.Delivered = UtcClock.Now(_clock);
        }

        _deliveredInThisTransaction = true;
        return Task.CompletedTask;
    }

    public override async Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        if (NothingStored)
        {
            return [];
        }

        var rows = await OutboxMessageQueries.PendingForInboxAsync(
            _db, _inbox.MessageId, _inbox.ConsumerId, _inbox.LastSequenceNumber ?? 0, Options.MessageDeliveryLimit + 1, CancellationToken);
        return rows.Select(row => (OutboxMessageContext)new StoredOutboxMessage(row, SerializerContext)).ToList();
    }

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        // Saved with SetDelivered or the pass's final SaveChanges, in the same transaction as the delivery's end.
        _inbox.LastSequenceNumber = message.SequenceNumber;
        return Task.CompletedTask;
    }

    public override Task RemoveOutboxMessages() =>
        NothingStored || _inbox.Delivered is null
            ? Task.CompletedTask
            : OutboxMessageQueries.RemoveForInboxAsync(_db, _inbox.MessageId, _inbox.ConsumerId, CancellationToken);

    public override Task AddSend<T>(SendContext<T> context)
    {
        var row = OutboxMessageRecord.From(context, SerializerContext, UtcClock.Now(_clock), _inbox.MessageId, _inbox.ConsumerId, outboxId: null);

        // Sends of one consumer may be issued concurrently; DbContext is not thread-safe.
        lock (_stored)
        {
            _db.Set<OutboxMessage>().Add(row);
            _stored.Add(row);

            // A claim that guessed "stores nothing" marked a new row delivered; with messages to send it is not (one
            // UPDATE, in the same SaveChanges batch as the message rows; no change when the claim left it unmarked).
            _inbox.Delivered = null;
        }

        return Task.CompletedTask;
    }
}
