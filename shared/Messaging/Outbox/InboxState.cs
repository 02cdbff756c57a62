namespace RunMesh.Messaging.Outbox;

/// <summary>
/// One consumed message per consumer endpoint: the inbox row that makes a redelivered message a no-op.
/// Its lifecycle is received → consumed (handler committed) → delivered (its outgoing messages sent).
/// </summary>
public sealed class InboxState
{
    /// <summary>Surrogate key.</summary>
    public long Id { get; set; }

    /// <summary>The consumed message's MessageId.</summary>
    public Guid MessageId { get; set; }

    /// <summary>Identifies the consumer endpoint (queue + consumer type), so one message can be consumed once per endpoint.</summary>
    public Guid ConsumerId { get; set; }

    /// <summary>Changed on every pass, so a concurrent pass sees a conflict.</summary>
    public Guid LockId { get; set; }

    /// <summary>Postgres <c>xmin</c>, the optimistic concurrency token.</summary>
    public uint RowVersion { get; set; }

    /// <summary>When the message first arrived.</summary>
    public DateTime Received { get; set; }

    /// <summary>How many times the message was received.</summary>
    public int ReceiveCount { get; set; }

    /// <summary>When the message expires, if it carries an expiration.</summary>
    public DateTime? ExpirationTime { get; set; }

    /// <summary>When the handler's transaction committed.</summary>
    public DateTime? Consumed { get; set; }

    /// <summary>When every message the handler produced was delivered.</summary>
    public DateTime? Delivered { get; set; }

    /// <summary>The last outbox message delivered for this inbox row.</summary>
    public long? LastSequenceNumber { get; set; }
}
