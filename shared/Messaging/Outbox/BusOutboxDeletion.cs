using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Messaging.Outbox;

/// <summary>Deletes bus outboxes that were sent, with their messages.</summary>
internal static class BusOutboxDeletion
{
    /// <summary>
    /// Deletes <paramref name="outboxIds"/> in one round trip: a two-statement batch over one array, which Postgres runs
    /// as one implicit transaction. An outbox the delivery service holds is waited for, then already gone.
    /// </summary>
    public static async Task DeleteAsync(DbContext db, Guid[] outboxIds, CancellationToken cancellationToken)
    {
        var (messages, outboxes) = Statements(db);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(messages) { Parameters = { Ids(outboxIds) } },
                    new NpgsqlBatchCommand(outboxes) { Parameters = { Ids(outboxIds) } },
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static NpgsqlParameter Ids(Guid[] outboxIds) =>
        new() { Value = outboxIds.Order().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid };

    private static (string Messages, string Outboxes) Statements(DbContext db)
    {
        var messages = StoreNames.Statement(db, "bus-outbox-delete-messages", model =>
        {
            var type = typeof(OutboxMessage);
            return $"DELETE FROM {StoreNames.Table(model, type)} WHERE {StoreNames.Column(model, type, nameof(OutboxMessage.OutboxId))} = ANY($1)";
        });
        var outboxes = StoreNames.Statement(db, "bus-outbox-delete", model =>
        {
            var type = typeof(OutboxState);
            return $"DELETE FROM {StoreNames.Table(model, type)} WHERE {StoreNames.Column(model, type, nameof(OutboxState.OutboxId))} = ANY($1)";
        });
        return (messages, outboxes);
    }
}
