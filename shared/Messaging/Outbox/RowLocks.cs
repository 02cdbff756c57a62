using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
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
    /// <summary>
    /// Inserts or locks the inbox row of a message just received (counting the receive), and attaches it to
    /// <paramref name="db"/>'s change tracker. A new row is written already marked consumed — and delivered when
    /// <paramref name="markDelivered"/>, as it will be at commit if the consumer stores nothing — so that the pass
    /// needs no UPDATE of it when the guess is right; a rollback takes the marks away with the row.
    /// <see cref="ClaimedInbox.IsNew"/> tells the pass that the marks are not true yet.
    /// </summary>
    public static async Task<ClaimedInbox> ClaimInboxAsync(
        DbContext db, Guid messageId, Guid consumerId, DateTime now, DateTime? expirationTime, bool markDelivered,
        CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "inbox-claim", BuildClaim);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("The inbox is claimed inside the pass's transaction.");

        // A plain command instead of an EF query: the claim runs once per consumed message, and EF's query pipeline
        // (parameters, materialization, identity resolution) was a good share of the pass's CPU.
        await using var command = new NpgsqlCommand(sql, connection, transaction)
        {
            Parameters =
            {
                new() { Value = messageId },
                new() { Value = consumerId },
                new() { Value = Guid.NewGuid() },
                new() { Value = UtcClock.AsUtc(now), NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = expirationTime is { } e ? UtcClock.AsUtc(e) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = markDelivered ? UtcClock.AsUtc(now) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"Claiming the inbox row of message {messageId} returned no row.");
        }

        var inbox = new InboxState
        {
            Id = reader.GetInt64(0),
            RowVersion = reader.GetFieldValue<uint>(1),
            MessageId = messageId,
            ConsumerId = consumerId,
            LockId = reader.GetGuid(2),
            Received = reader.GetDateTime(3),
            ReceiveCount = reader.GetInt32(4),
            ExpirationTime = reader.IsDBNull(5) ? null : reader.GetDateTime(5),
            Consumed = reader.IsDBNull(6) ? null : reader.GetDateTime(6),
            Delivered = reader.IsDBNull(7) ? null : reader.GetDateTime(7),
            LastSequenceNumber = reader.IsDBNull(8) ? null : reader.GetInt64(8),
        };
        await reader.DisposeAsync();

        // Every later claim of the row counts its receive, so only the insert returns a count of 1.
        db.Attach(inbox);
        return new ClaimedInbox(inbox, IsNew: inbox.ReceiveCount == 1);
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

    /// <summary>
    /// Locks the oldest <paramref name="limit"/> bus outboxes created no later than <paramref name="createdBefore"/> that
    /// no other instance holds, oldest first.
    /// </summary>
    public static Task<List<OutboxState>> TryLockOldestOutboxesAsync(DbContext db, int limit, DateTime createdBefore, CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "outbox-lock-oldest", model =>
        {
            var type = typeof(OutboxState);
            var created = StoreNames.Column(model, type, nameof(OutboxState.Created));
            return $"SELECT *, xmin FROM {StoreNames.Table(model, type)} WHERE {created} <= {{1}} " +
                $"ORDER BY {created} LIMIT {{0}} FOR UPDATE SKIP LOCKED";
        });
        return EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<OutboxState>().FromSqlRaw(sql, limit, createdBefore).AsTracking(), cancellationToken);
    }

    private static string BuildClaim(IModel model)
    {
        var type = typeof(InboxState);
        var table = StoreNames.Table(model, type);
        string Column(string property) => StoreNames.Column(model, type, property);
        var receiveCount = Column(nameof(InboxState.ReceiveCount));
        var lockId = Column(nameof(InboxState.LockId));

        return $"""
            INSERT INTO {table} AS i ({Column(nameof(InboxState.MessageId))}, {Column(nameof(InboxState.ConsumerId))}, {lockId}, {Column(nameof(InboxState.Received))}, {Column(nameof(InboxState.ExpirationTime))}, {receiveCount}, {Column(nameof(InboxState.Consumed))}, {Column(nameof(InboxState.Delivered))})
            VALUES ($1, $2, $3, $4, $5, 1, $4, $6)
            ON CONFLICT ({Column(nameof(InboxState.MessageId))}, {Column(nameof(InboxState.ConsumerId))})
            DO UPDATE SET {lockId} = excluded.{lockId}, {receiveCount} = i.{receiveCount} + 1
            RETURNING i.{Column(nameof(InboxState.Id))}, i.xmin, i.{lockId}, i.{Column(nameof(InboxState.Received))}, i.{receiveCount}, i.{Column(nameof(InboxState.ExpirationTime))}, i.{Column(nameof(InboxState.Consumed))}, i.{Column(nameof(InboxState.Delivered))}, i.{Column(nameof(InboxState.LastSequenceNumber))}
            """;
    }
}

/// <summary>The claimed inbox row, and whether the claim inserted it (its consumed/delivered marks are then provisional).</summary>
internal readonly record struct ClaimedInbox(InboxState Row, bool IsNew);
