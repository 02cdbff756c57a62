namespace RunMesh.Messaging.Outbox;

/// <summary>
/// A bus outbox: the messages one scope (e.g. one API request) published outside a consumer, delivered in order
/// by the delivery service after the scope's transaction committed.
/// </summary>
public sealed class OutboxState
{
    /// <summary>The outbox id.</summary>
    public Guid OutboxId { get; set; }

    /// <summary>Changed on every delivery pass.</summary>
    public Guid LockId { get; set; }

    /// <summary>Postgres <c>xmin</c>, the optimistic concurrency token.</summary>
    public uint RowVersion { get; set; }

    /// <summary>When the outbox was written.</summary>
    public DateTime Created { get; set; }

    /// <summary>When all its messages were delivered.</summary>
    public DateTime? Delivered { get; set; }

    /// <summary>The last message delivered.</summary>
    public long? LastSequenceNumber { get; set; }
}
