using Microsoft.EntityFrameworkCore;

namespace RunMesh.Messaging.Outbox;

/// <summary>Adds the inbox/outbox tables to a service's EF Core model (the equivalent of MassTransit's <c>AddTransactionalOutboxEntities</c>).</summary>
public static class OutboxModelBuilderExtensions
{
    /// <summary>Maps <see cref="InboxState"/>, <see cref="OutboxState"/> and <see cref="OutboxMessage"/>.</summary>
    public static ModelBuilder AddPostgresOutboxEntities(this ModelBuilder model)
    {
        model.Entity<InboxState>(inbox =>
        {
            inbox.ToTable("inbox_state");
            inbox.HasKey(x => x.Id);
            inbox.Property(x => x.Id).UseIdentityAlwaysColumn();
            inbox.Property(x => x.RowVersion).IsRowVersion();
            // One row per message and consumer: a concurrent duplicate collides here instead of running twice.
            inbox.HasAlternateKey(x => new { x.MessageId, x.ConsumerId });
            inbox.HasIndex(x => x.Delivered);
            inbox.HasIndex(x => x.Received);
        });

        model.Entity<OutboxState>(outbox =>
        {
            outbox.ToTable("outbox_state");
            outbox.HasKey(x => x.OutboxId);
            outbox.Property(x => x.RowVersion).IsRowVersion();
            outbox.HasIndex(x => x.Created);
        });

        model.Entity<OutboxMessage>(message =>
        {
            message.ToTable("outbox_message");
            message.HasKey(x => x.SequenceNumber);
            message.Property(x => x.SequenceNumber).UseIdentityAlwaysColumn();
            message.Property(x => x.ContentType).HasMaxLength(256);
            message.Property(x => x.MessageType).IsRequired();
            message.Property(x => x.Body).IsRequired();
            // Rows are found by their inbox or bus outbox, in order (the two unique indexes below). MassTransit's
            // schema also indexes EnqueueTime and ExpirationTime; no query of ours reads either, and a row lives for
            // milliseconds, so those two indexes would only add work to every insert and delete.
            message.HasIndex(x => new { x.InboxMessageId, x.InboxConsumerId, x.SequenceNumber }).IsUnique();
            message.HasIndex(x => new { x.OutboxId, x.SequenceNumber }).IsUnique();
            message.HasOne<InboxState>().WithMany()
                .HasForeignKey(x => new { x.InboxMessageId, x.InboxConsumerId })
                .HasPrincipalKey(x => new { x.MessageId, x.ConsumerId });
            message.HasOne<OutboxState>().WithMany().HasForeignKey(x => x.OutboxId);
        });

        return model;
    }
}
