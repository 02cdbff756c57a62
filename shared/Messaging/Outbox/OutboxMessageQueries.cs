using Microsoft.EntityFrameworkCore;

namespace RunMesh.Messaging.Outbox;

/// <summary>The queries over <see cref="OutboxMessage"/> rows the consuming pass and the delivery service share.</summary>
internal static class OutboxMessageQueries
{
    /// <summary>The undelivered messages of one inbox row, in the order they were stored.</summary>
    public static Task<List<OutboxMessage>> PendingForInboxAsync(
        DbContext db, Guid messageId, Guid consumerId, long afterSequenceNumber, int limit, CancellationToken cancellationToken) =>
        EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<OutboxMessage>()
                .Where(m => m.InboxMessageId == messageId && m.InboxConsumerId == consumerId && m.SequenceNumber > afterSequenceNumber)
                .OrderBy(m => m.SequenceNumber)
                .Take(limit)
                .AsNoTracking(),
            cancellationToken);

    /// <summary>Deletes every message of one inbox row in one statement.</summary>
    public static Task<int> RemoveForInboxAsync(DbContext db, Guid messageId, Guid consumerId, CancellationToken cancellationToken) =>
        db.Set<OutboxMessage>()
            .Where(m => m.InboxMessageId == messageId && m.InboxConsumerId == consumerId)
            .ExecuteDeleteAsync(cancellationToken);

    /// <summary>The messages of several bus outboxes, in the order they were stored (which is each outbox's order too).</summary>
    public static Task<List<OutboxMessage>> PendingForOutboxesAsync(DbContext db, Guid[] outboxIds, CancellationToken cancellationToken) =>
        EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<OutboxMessage>()
                .Where(m => m.OutboxId != null && outboxIds.Contains(m.OutboxId.Value))
                .OrderBy(m => m.SequenceNumber)
                .AsNoTracking(),
            cancellationToken);

    /// <summary>Deletes every message of several bus outboxes in one statement.</summary>
    public static Task<int> RemoveForOutboxesAsync(DbContext db, Guid[] outboxIds, CancellationToken cancellationToken) =>
        db.Set<OutboxMessage>().Where(m => m.OutboxId != null && outboxIds.Contains(m.OutboxId.Value)).ExecuteDeleteAsync(cancellationToken);
}
