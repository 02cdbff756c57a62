using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// That an inbox row's stored messages were all sent: the row gets its delivered mark and last sequence number,
/// and its messages are deleted.
/// </summary>
internal readonly record struct InboxDeliveryMark(long InboxId, Guid MessageId, Guid ConsumerId, DateTime Delivered, long? LastSequenceNumber)
{
    public static InboxDeliveryMark Of(InboxState inbox) => new(
        inbox.Id,
        inbox.MessageId,
        inbox.ConsumerId,
        UtcClock.AsUtc(inbox.Delivered ?? throw new InvalidOperationException("Not delivered.")),
        inbox.LastSequenceNumber);

    /// <summary>
    /// Writes many marks in one round trip: a two-statement batch over arrays, which Postgres runs as one implicit
    /// transaction. Rows are updated in id order, so two writers never wait on each other in a cycle.
    /// </summary>
    public static Task WriteAsync(DbContext db, IReadOnlyCollection<InboxDeliveryMark> marks, CancellationToken cancellationToken) =>
        ContextBatch.ExecuteAsync(db, Commands(db, marks), cancellationToken);

    /// <summary>The two statements that write <paramref name="marks"/>: delete their messages, mark their rows.</summary>
    public static NpgsqlBatchCommand[] Commands(DbContext db, IReadOnlyCollection<InboxDeliveryMark> marks)
    {
        var ordered = marks.OrderBy(mark => mark.InboxId).ToArray();
        var (delete, update) = Statements(db);
        return
            [
                new NpgsqlBatchCommand(delete)
                {
                    Parameters =
                    {
                        new() { Value = ordered.Select(mark => mark.MessageId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                        new() { Value = ordered.Select(mark => mark.ConsumerId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                    },
                },
                new NpgsqlBatchCommand(update)
                {
                    Parameters =
                    {
                        new() { Value = ordered.Select(mark => mark.InboxId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                        new() { Value = ordered.Select(mark => mark.Delivered).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                        new() { Value = ordered.Select(mark => mark.LastSequenceNumber).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                    },
                },
            ];
    }

    private static (string Delete, string Update) Statements(DbContext db)
    {
        var delete = StoreNames.Statement(db, "inbox-mark-delete", model =>
        {
            var type = typeof(OutboxMessage);
            string Column(string property) => StoreNames.Column(model, type, property);
            return $"DELETE FROM {StoreNames.Table(model, type)} AS m USING unnest($1::uuid[], $2::uuid[]) AS d(message_id, consumer_id) " +
                $"WHERE m.{Column(nameof(OutboxMessage.InboxMessageId))} = d.message_id AND m.{Column(nameof(OutboxMessage.InboxConsumerId))} = d.consumer_id";
        });
        var update = StoreNames.Statement(db, "inbox-mark-update", model =>
        {
            var type = typeof(InboxState);
            string Column(string property) => StoreNames.Column(model, type, property);
            return $"UPDATE {StoreNames.Table(model, type)} AS i SET {Column(nameof(InboxState.Delivered))} = d.delivered, " +
                $"{Column(nameof(InboxState.LastSequenceNumber))} = d.last_sequence_number " +
                "FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[]) AS d(id, delivered, last_sequence_number) " +
                $"WHERE i.{Column(nameof(InboxState.Id))} = d.id";
        });
        return (delete, update);
    }
}
