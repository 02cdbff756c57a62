using MassTransit;
using MassTransit.Context;

namespace RunMesh.Messaging.Outbox;

/// <summary>Turns an outgoing <see cref="SendContext{T}"/> into an <see cref="OutboxMessage"/> row (what MassTransit calls <c>AddSend</c>).</summary>
internal static class OutboxMessageRecord
{
    public static OutboxMessage From<T>(SendContext<T> context, IObjectDeserializer serializer, DateTime now, Guid? inboxMessageId, Guid? inboxConsumerId, Guid? outboxId)
        where T : class
    {
        var messageId = context.MessageId ?? throw new MessageException(typeof(T), "The SendContext MessageId must be present");
        var row = new OutboxMessage
        {
            MessageId = messageId,
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime is { } sent ? UtcClock.AsUtc(sent) : now,
            ContentType = context.ContentType?.ToString() ?? context.Serialization.DefaultContentType.ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            InboxMessageId = inboxMessageId,
            InboxConsumerId = inboxConsumerId,
            OutboxId = outboxId,
            Headers = serializer.SerializeDictionary(context.Headers.GetAll()),
        };

        if (context.TimeToLive is { } timeToLive)
        {
            row.ExpirationTime = now + timeToLive;
        }

        if (context.Delay is { } delay)
        {
            row.EnqueueTime = now + delay;
        }

        // Transport properties (e.g. a RabbitMQ routing key) must survive the trip through the table.
        if (context is TransportSendContext<T> transport)
        {
            var properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transport.WritePropertiesTo(properties);
            row.Properties = serializer.SerializeDictionary(properties);
        }

        return row;
    }
}
