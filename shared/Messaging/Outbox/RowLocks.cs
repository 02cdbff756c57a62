using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// The row locks of the inbox and outbox tables, with names from the EF model.
/// Claims the inbox row of one consumed message for the current transaction in a single round trip:
/// <c>INSERT … ON CONFLICT (message_id, consumer_id) DO UPDATE … RETURNING</c> inserts the row for a new message,
/// or row-locks the existing one (like <c>SELECT … FOR UPDATE</c>). A concurrent duplicate therefore waits for the
/// first transaction and then sees its committed row — it never inserts a second row nor fails on the alternate key
/// (MassTransit #3791) and never needs a retry for it.
/// </summary>
internal static class RowLocks
{
    /// <summary>Inserts or locks the inbox row of a message just received (counting the receive).</summary>
    public static async Task<InboxState> ClaimInboxAsync(
        DbContext db, Guid messageId, Guid consumerId, DateTime now, DateTime? expirationTime, CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "inbox-claim", Build);
        var rows = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<InboxState>()
                .FromSqlRaw(
                    sql,
                    new NpgsqlParameter("message_id", messageId),
                    new NpgsqlParameter("consumer_id", consumerId),
                    new NpgsqlParameter("lock_id", Guid.NewGuid()),
                    new NpgsqlParameter("received", NpgsqlDbType.TimestampTz) { Value = UtcClock.AsUtc(now) },
                    new NpgsqlParameter("expiration_time", NpgsqlDbType.TimestampTz) { Value = expirationTime is { } e ? UtcClock.AsUtc(e) : DBNull.Value })
                .AsTracking(),
            cancellationToken);
        return rows.Single();
    }

    /// <summary>Locks the inbox row of a message in a later pass (the row exists: an earlier pass committed it).</summary>
    public static async Task<InboxState> LockInboxAsync(DbContext db, Guid messageId, Guid consumerId, CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "inbox-lock", model =>
        {
            var type = typeof(InboxState);
            string Column(string property) => StoreNames.Column(model, type, property);
            return $"SELECT *, xmin FROM {StoreNames.Table(model, type)} WHERE {Column(nameof(InboxState.MessageId))} = {{0}} " +
                $"AND {Column(nameof(InboxState.ConsumerId))} = {{1}} FOR UPDATE";
        });
        var rows = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<InboxState>().FromSqlRaw(sql, messageId, consumerId).AsTracking(), cancellationToken);
        return rows.SingleOrDefault()
            ?? throw new InvalidOperationException($"The inbox row of message {messageId} disappeared between two passes.");
    }

    /// <summary>Locks an inbox row that is not delivered yet, skipping a row another pass holds.</summary>
    public static async Task<InboxState?> TryLockUndeliveredInboxAsync(DbContext db, long id, CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "inbox-lock-undelivered", model =>
        {
            var type = typeof(InboxState);
            string Column(string property) => StoreNames.Column(model, type, property);
            return $"SELECT *, xmin FROM {StoreNames.Table(model, type)} WHERE {Column(nameof(InboxState.Id))} = {{0}} " +
                $"AND {Column(nameof(InboxState.Delivered))} IS NULL FOR UPDATE SKIP LOCKED";
        });
        var rows = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<InboxState>().FromSqlRaw(sql, id).AsTracking(), cancellationToken);
        return rows.SingleOrDefault();
    }

    /// <summary>Locks the oldest <paramref name="limit"/> bus outboxes that no other instance holds, oldest first.</summary>
    public static Task<List<OutboxState>> TryLockOldestOutboxesAsync(DbContext db, int limit, CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "outbox-lock-oldest", model =>
        {
            var type = typeof(OutboxState);
            return $"SELECT *, xmin FROM {StoreNames.Table(model, type)} " +
                $"ORDER BY {StoreNames.Column(model, type, nameof(OutboxState.Created))} LIMIT {{0}} FOR UPDATE SKIP LOCKED";
        });
        return EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<OutboxState>().FromSqlRaw(sql, limit).AsTracking(), cancellationToken);
    }

    private static string Build(IModel model)
    {
        var type = typeof(InboxState);
        var table = StoreNames.Table(model, type);
        string Column(string property) => StoreNames.Column(model, type, property);
        var receiveCount = Column(nameof(InboxState.ReceiveCount));
        var lockId = Column(nameof(InboxState.LockId));
        return $"""
            INSERT INTO {table} AS i ({Column(nameof(InboxState.MessageId))}, {Column(nameof(InboxState.ConsumerId))}, {lockId}, {Column(nameof(InboxState.Received))}, {Column(nameof(InboxState.ExpirationTime))}, {receiveCount})
            VALUES (@message_id, @consumer_id, @lock_id, @received, @expiration_time, 1)
            ON CONFLICT ({Column(nameof(InboxState.MessageId))}, {Column(nameof(InboxState.ConsumerId))})
            DO UPDATE SET {lockId} = excluded.{lockId}, {receiveCount} = i.{receiveCount} + 1
            RETURNING i.*, i.xmin
            """;
    }
}
