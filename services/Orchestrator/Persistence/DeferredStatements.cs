using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>
/// Writes whose answer nobody reads (upserts and deletes of the run journal), held until the DbContext's next
/// <c>SaveChanges</c> and sent just before it in one round trip: one <see cref="NpgsqlBatch"/> on the context's
/// connection and transaction. A saga pass makes up to six of them (an attempt's artifact rows, the finished
/// attempt's deadline, the next one's); sent one by one they were a round trip each.
/// </summary>
/// <remarks>
/// Every pass that defers a statement ends in <c>SaveChanges</c> (the saga repository's update and the outbox's
/// commit both call it), so nothing deferred is left behind when the transaction commits. Statements run in the order
/// they were deferred, before EF Core's own batch.
/// </remarks>
public sealed class DeferredStatements
{
    private readonly List<NpgsqlBatchCommand> _pending = [];

    /// <summary>How many statements wait for the next flush.</summary>
    public int Count => _pending.Count;

    /// <summary>Defers <paramref name="sql"/> (positional parameters <c>$1</c>, <c>$2</c>, … in the order given).</summary>
    public void Add(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        _pending.Add(command);
    }

    /// <summary>A parameter of a given type; <c>null</c> becomes SQL NULL of that type.</summary>
    public static NpgsqlParameter Value(object? value, NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    internal async Task FlushAsync(DatabaseFacade database, CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        await database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var batch = TakeBatch(database);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await database.CloseConnectionAsync();
        }
    }

    internal void Flush(DatabaseFacade database)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        database.OpenConnection();
        try
        {
            using var batch = TakeBatch(database);
            batch.ExecuteNonQuery();
        }
        finally
        {
            database.CloseConnection();
        }
    }

    private NpgsqlBatch TakeBatch(DatabaseFacade database)
    {
        var connection = (NpgsqlConnection)database.GetDbConnection();
        var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)database.CurrentTransaction?.GetDbTransaction());
        foreach (var command in _pending)
        {
            batch.BatchCommands.Add(command);
        }

        // Taken even if the batch fails: a failed pass rolls back, and its retry defers its statements again.
        _pending.Clear();
        return batch;
    }
}
