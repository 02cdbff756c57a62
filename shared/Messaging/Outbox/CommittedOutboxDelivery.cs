using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// The delivery pass right after this process committed a consumer's pass: the stored messages are still in memory
/// and nobody else is expected to hold the inbox row, so they are sent without a transaction, a row lock or a query.
/// The caller then marks the row delivered and deletes its messages in one round trip
/// (<see cref="InboxDeliveryMark"/>). This keeps a second transaction off every consumed message's critical path.
/// A concurrent redelivery of the same message may send them a second time — delivery is at-least-once anyway, and
/// the receiving inbox drops the copy (same MessageId).
/// </summary>
internal sealed class CommittedOutboxDelivery<TMessage> : OutboxConsumeContextProxy<TMessage>
    where TMessage : class
{
    private readonly InboxState _inbox;
    private readonly IReadOnlyList<OutboxMessage> _stored;
    private readonly TimeProvider _clock;

    public CommittedOutboxDelivery(
        ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider,
        InboxState inbox, IReadOnlyList<OutboxMessage> stored, TimeProvider clock)
        : base(context, options, provider)
    {
        _inbox = inbox;
        _stored = stored;
        _clock = clock;
    }

    public override Guid? MessageId => _inbox.MessageId;

    public override bool ContinueProcessing { get; set; } = true;

    public override bool IsMessageConsumed => true;

    public override bool IsOutboxDelivered => _inbox.Delivered.HasValue;

    public override int ReceiveCount => _inbox.ReceiveCount;

    public override long? LastSequenceNumber => _inbox.LastSequenceNumber;

    /// <summary>The inbox row with what this pass changed (<c>Delivered</c>, <c>LastSequenceNumber</c>).</summary>
    public InboxState Inbox => _inbox;

    public override Task SetConsumed() => Task.CompletedTask;

    public override Task SetDelivered()
    {
        _inbox.Delivered = UtcClock.Now(_clock);
        return Task.CompletedTask;
    }

    public override Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        var last = _inbox.LastSequenceNumber ?? 0;
        return Task.FromResult(_stored
            .Where(row => row.SequenceNumber > last)
            .OrderBy(row => row.SequenceNumber)
            .Take(Options.MessageDeliveryLimit + 1)
            .Select(row => (OutboxMessageContext)new StoredOutboxMessage(row, SerializerContext))
            .ToList());
    }

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        _inbox.LastSequenceNumber = message.SequenceNumber;
        return Task.CompletedTask;
    }

    // Deleted together with the delivered mark, by the caller.
    public override Task RemoveOutboxMessages() => Task.CompletedTask;

    public override Task AddSend<T>(SendContext<T> context) =>
        throw new InvalidOperationException("Nothing is sent while delivering an outbox.");
}
