using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Messaging.Outbox;

/// <summary>Deletes bus outboxes that were sent, with their messages.</summary>
internal static class BusOutboxDeletion
{
    /// <summary>
    /// The two statements that delete <paramref name="outboxIds"/>: their messages, then the outboxes (one array each,
    /// for a <see cref="ContextBatch"/>). An outbox the delivery service holds is waited for, then already gone.
    /// </summary>
    public static NpgsqlBatchCommand[] Commands(DbContext db, Guid[] outboxIds)
    {
        var (messages, outboxes) = Statements(db);
        return [new NpgsqlBatchCommand(messages) { Parameters = { Ids(outboxIds) } }, new NpgsqlBatchCommand(outboxes) { Parameters = { Ids(outboxIds) } }];
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
