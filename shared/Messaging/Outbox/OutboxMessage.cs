namespace RunMesh.Messaging.Outbox;

/// <summary>
/// A message stored in the same transaction as the state change that produced it, waiting to be delivered.
/// It belongs either to an inbox row (sent by a consumer) or to a bus outbox (sent by an API request).
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Delivery order: ascending within one inbox row or outbox.</summary>
    public long SequenceNumber { get; set; }

    /// <summary>Deliver no earlier than this (scheduled messages).</summary>
    public DateTime? EnqueueTime { get; set; }

    /// <summary>When the message was stored.</summary>
    public DateTime SentTime { get; set; }

    /// <summary>Transport headers as JSON.</summary>
    public string? Headers { get; set; }

    /// <summary>Transport properties as JSON (e.g. routing key).</summary>
    public string? Properties { get; set; }

    /// <summary>The consumed message this one was produced by.</summary>
    public Guid? InboxMessageId { get; set; }

    /// <summary>The consumer that produced it.</summary>
    public Guid? InboxConsumerId { get; set; }

    /// <summary>The bus outbox this one was produced in.</summary>
    public Guid? OutboxId { get; set; }

    /// <summary>The message's own id.</summary>
    public Guid MessageId { get; set; }

    /// <summary>MIME type of <see cref="Body"/>.</summary>
    public string ContentType { get; set; } = "";

    /// <summary>Message type URNs, as MassTransit writes them.</summary>
    public string MessageType { get; set; } = "";

    /// <summary>The serialized message.</summary>
    public string Body { get; set; } = "";

    /// <summary>MassTransit conversation id.</summary>
    public Guid? ConversationId { get; set; }

    /// <summary>MassTransit correlation id.</summary>
    public Guid? CorrelationId { get; set; }

    /// <summary>MassTransit initiator id.</summary>
    public Guid? InitiatorId { get; set; }

    /// <summary>MassTransit request id.</summary>
    public Guid? RequestId { get; set; }

    /// <summary>Where the message came from.</summary>
    public Uri? SourceAddress { get; set; }

    /// <summary>Where it goes.</summary>
    public Uri? DestinationAddress { get; set; }

    /// <summary>Where responses go.</summary>
    public Uri? ResponseAddress { get; set; }

    /// <summary>Where faults go.</summary>
    public Uri? FaultAddress { get; set; }

    /// <summary>When the message expires.</summary>
    public DateTime? ExpirationTime { get; set; }
}
