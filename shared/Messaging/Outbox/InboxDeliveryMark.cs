using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Marks an inbox row delivered and deletes its messages in one round trip: a two-statement batch, which Postgres
/// runs as one implicit transaction.
/// </summary>
internal static class InboxDeliveryMark
{
    public static async Task WriteAsync(DbContext db, InboxState inbox, CancellationToken cancellationToken)
    {
        var (delete, update) = Statements(db);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(delete) { Parameters = { new() { Value = inbox.MessageId }, new() { Value = inbox.ConsumerId } } },
                    new NpgsqlBatchCommand(update)
                    {
                        Parameters =
                        {
                            new() { Value = UtcClock.AsUtc(inbox.Delivered ?? throw new InvalidOperationException("Not delivered.")) },
                            new() { Value = (object?)inbox.LastSequenceNumber ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint },
                            new() { Value = inbox.Id },
                        },
                    },
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static (string Delete, string Update) Statements(DbContext db)
    {
        var delete = StoreNames.Statement(db, "inbox-mark-delete", model =>
        {
            var type = typeof(OutboxMessage);
            string Column(string property) => StoreNames.Column(model, type, property);
            return $"DELETE FROM {StoreNames.Table(model, type)} WHERE {Column(nameof(OutboxMessage.InboxMessageId))} = $1 " +
                $"AND {Column(nameof(OutboxMessage.InboxConsumerId))} = $2";
        });
        var update = StoreNames.Statement(db, "inbox-mark-update", model =>
        {
            var type = typeof(InboxState);
            string Column(string property) => StoreNames.Column(model, type, property);
            return $"UPDATE {StoreNames.Table(model, type)} SET {Column(nameof(InboxState.Delivered))} = $1, " +
                $"{Column(nameof(InboxState.LastSequenceNumber))} = $2 WHERE {Column(nameof(InboxState.Id))} = $3";
        });
        return (delete, update);
    }
}
