using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace RunMesh.Messaging.Outbox;

/// <summary>Statements sent as one <see cref="NpgsqlBatch"/> on a DbContext's connection: one round trip.</summary>
internal static class ContextBatch
{
    /// <summary>
    /// Runs <paramref name="commands"/> in order on <paramref name="db"/>'s connection, inside its transaction when one is
    /// open; otherwise Postgres runs the batch as one implicit transaction.
    /// </summary>
    public static async Task ExecuteAsync(DbContext db, IReadOnlyList<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
            foreach (var command in commands)
            {
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
