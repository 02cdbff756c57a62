using MassTransit;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// A stored <see cref="OutboxMessage"/> row seen as MassTransit's <see cref="OutboxMessageContext"/>, which the core
/// send pipe (<see cref="OutboxMessageSendPipe"/>) replays to the broker byte for byte. Kept apart from the entity so
/// the entity stays a plain table shape.
/// </summary>
internal sealed class StoredOutboxMessage : OutboxMessageContext
{
    private static readonly IReadOnlyDictionary<string, object> s_noProperties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
    private readonly OutboxMessage _row;

    public StoredOutboxMessage(OutboxMessage row, IObjectDeserializer deserializer)
    {
        _row = row;
        Headers = deserializer.DeserializeDictionary<object?>(row.Headers) is { } headers
            ? new DictionarySendHeaders(headers!)
            : new DictionarySendHeaders();
        Properties = deserializer.DeserializeDictionary<object>(row.Properties) ?? s_noProperties;
    }

    public OutboxMessage Row => _row;

    public long SequenceNumber => _row.SequenceNumber;

    public Guid MessageId => _row.MessageId;

    public string ContentType => _row.ContentType;

    public string MessageType => _row.MessageType;

    public string Body => _row.Body;

    public IReadOnlyDictionary<string, object> Properties { get; }

    public Headers Headers { get; }

    Guid? MessageContext.MessageId => _row.MessageId;

    public Guid? RequestId => _row.RequestId;

    public Guid? CorrelationId => _row.CorrelationId;

    public Guid? ConversationId => _row.ConversationId;

    public Guid? InitiatorId => _row.InitiatorId;

    public DateTime? ExpirationTime => _row.ExpirationTime;

    public Uri? SourceAddress => _row.SourceAddress;

    public Uri? DestinationAddress => _row.DestinationAddress;

    public Uri? ResponseAddress => _row.ResponseAddress;

    public Uri? FaultAddress => _row.FaultAddress;

    public DateTime? SentTime => _row.SentTime;

    public HostInfo Host => HostMetadataCache.Host;
}
