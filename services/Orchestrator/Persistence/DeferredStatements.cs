using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>
/// Writes whose answer nobody reads (inserts, upserts and deletes of the run journal), held until the DbContext's next
/// <c>SaveChanges</c> and sent in the same round trip as EF Core's own statements: <see cref="Interceptor"/> appends
/// them to the command <c>SaveChanges</c> executes. A saga pass makes up to a dozen of them (the events, an attempt's
/// artifact rows, the finished attempt's deadline, the next one's); sent one by one they were a round trip each, and
/// as a batch of their own still one round trip more per pass.
/// </summary>
/// <remarks>
/// Every pass that defers a statement ends in <c>SaveChanges</c> (the saga repository's update and the outbox's
/// commit both call it), so nothing deferred is left behind when the transaction commits. They run in the order they
/// were deferred, after EF Core's statements; when EF Core has nothing to write, they are sent as a batch of their own.
/// Why they are appended to EF Core's command text rather than sent with it as an <see cref="NpgsqlBatch"/>:
/// docs/persistence.md ("Why the deferred statements are appended to EF Core's command text").
/// </remarks>
public sealed partial class DeferredStatements
{
    private readonly List<(string Sql, NpgsqlParameter[] Parameters)> _pending = [];

    /// <summary>Appends the statements deferred by then to the commands <c>SaveChanges</c> executes.</summary>
    public static IInterceptor Interceptor { get; } = new SaveChangesCommands();

    /// <summary>How many statements wait for the next flush.</summary>
    public int Count => _pending.Count;

    /// <summary>Defers <paramref name="sql"/> (positional parameters <c>$1</c>, <c>$2</c>, … in the order given).</summary>
    public void Add(string sql, params NpgsqlParameter[] parameters) => _pending.Add((sql, parameters));

    /// <summary>Drops what waits unsent (a new lease of a pooled DbContext starts with nothing deferred).</summary>
    public void Clear() => _pending.Clear();

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

    /// <summary>
    /// Appends the pending statements to <paramref name="command"/>, after its own. EF Core's command names its
    /// parameters (<c>@p0</c>, …), and one command cannot mix named and positional ones, so <c>$n</c> of the
    /// <c>i</c>-th statement becomes <c>@d{i}_{n}</c>.
    /// </summary>
    private void AppendTo(DbCommand command)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var text = new StringBuilder(command.CommandText.TrimEnd());
        if (text.Length > 0 && text[^1] != ';')
        {
            text.Append(';');
        }

        for (var i = 0; i < _pending.Count; i++)
        {
            var (sql, parameters) = _pending[i];
            var prefix = string.Create(CultureInfo.InvariantCulture, $"d{i}_");
            text.AppendLine().Append(Positional().Replace(sql, match => "@" + prefix + match.Groups[1].Value)).Append(';');
            for (var n = 0; n < parameters.Length; n++)
            {
                parameters[n].ParameterName = string.Create(CultureInfo.InvariantCulture, $"{prefix}{n + 1}");
                command.Parameters.Add(parameters[n]);
            }
        }

        command.CommandText = text.ToString();

        // Taken even if the command fails: a failed pass rolls back, and its retry defers its statements again.
        _pending.Clear();
    }

    private NpgsqlBatch TakeBatch(DatabaseFacade database)
    {
        var connection = (NpgsqlConnection)database.GetDbConnection();
        var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)database.CurrentTransaction?.GetDbTransaction());
        foreach (var (sql, parameters) in _pending)
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddRange(parameters);
            batch.BatchCommands.Add(command);
        }

        // Taken even if the batch fails: a failed pass rolls back, and its retry defers its statements again.
        _pending.Clear();
        return batch;
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Positional();

    /// <summary>Appends the deferred statements to the first command of an <see cref="OrchestratorDbContext"/>'s <c>SaveChanges</c>.</summary>
    private sealed class SaveChangesCommands : DbCommandInterceptor
    {
        public override InterceptionResult<DbDataReader> ReaderExecuting(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Append(command, eventData);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Append(command, eventData);
            return ValueTask.FromResult(result);
        }

        private static void Append(DbCommand command, CommandEventData eventData)
        {
            if (eventData.CommandSource == CommandSource.SaveChanges && eventData.Context is OrchestratorDbContext db)
            {
                db.Deferred.AppendTo(command);
            }
        }
    }
}
