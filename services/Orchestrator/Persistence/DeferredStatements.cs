using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>
/// Writes whose answer nobody reads (the run journal's upserts and deletes), held until the DbContext's next
/// <c>SaveChanges</c> and sent in the same round trip as EF Core's own statements: <see cref="Interceptor"/> adds them
/// to the command <c>SaveChanges</c> executes. A saga pass makes up to a dozen of them (an attempt's artifact rows, the
/// finished attempt's deadline, the next one's); sent one by one they were a round trip each, and as a batch of their
/// own still one round trip more per pass.
/// </summary>
/// <remarks>
/// <para>
/// A statement is given as an interpolated string, as EF Core's <c>SqlQuery</c> takes it: each hole becomes a
/// parameter named for this context lease (<c>@j0</c>, <c>@j1</c>, …), so the statement's text is final when it is
/// added and is never rewritten; EF Core's statements, whose parameters are named <c>@p…</c>, are kept as they are.
/// A hole may be an <see cref="NpgsqlParameter"/> (see <see cref="Value"/>) to give the type of a value that may be null.
/// </para>
/// <para>
/// Every pass that defers a statement ends in <c>SaveChanges</c> (the saga repository's update and the outbox's
/// commit both call it), so nothing deferred is left behind when the transaction commits. They run in the order they
/// were deferred, after EF Core's statements; when EF Core has nothing to write, they are sent as a command of their
/// own. Why they ride in EF Core's command rather than beside it in an <see cref="NpgsqlBatch"/>: docs/persistence.md
/// ("Why the deferred statements ride in EF Core's command").
/// </para>
/// </remarks>
public sealed class DeferredStatements
{
    private readonly List<string> _statements = [];
    private readonly List<NpgsqlParameter> _parameters = [];

    /// <summary>Adds the statements deferred by then to the commands <c>SaveChanges</c> executes.</summary>
    public static IInterceptor Interceptor { get; } = new SaveChangesCommands();

    /// <summary>How many statements wait for the next flush.</summary>
    public int Count => _statements.Count;

    /// <summary>
    /// Defers <paramref name="statement"/>; each of its holes is sent as a parameter (<see langword="null"/> as SQL
    /// NULL), never as text. The SQL itself must hold no literal braces.
    /// </summary>
    public void Add(FormattableString statement)
    {
        var names = new object[statement.ArgumentCount];
        for (var i = 0; i < names.Length; i++)
        {
            var parameter = statement.GetArgument(i) switch
            {
                NpgsqlParameter given => given,
                var value => new NpgsqlParameter { Value = value ?? DBNull.Value },
            };
            parameter.ParameterName = string.Create(CultureInfo.InvariantCulture, $"j{_parameters.Count}");
            _parameters.Add(parameter);
            names[i] = "@" + parameter.ParameterName;
        }

        _statements.Add(string.Format(CultureInfo.InvariantCulture, statement.Format, names));
    }

    /// <summary>Drops what waits unsent (a new lease of a pooled DbContext starts with nothing deferred).</summary>
    public void Clear()
    {
        _statements.Clear();
        _parameters.Clear();
    }

    /// <summary>A parameter of a given type; <c>null</c> becomes SQL NULL of that type.</summary>
    public static NpgsqlParameter Value(object? value, NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    internal async Task FlushAsync(DatabaseFacade database, CancellationToken cancellationToken)
    {
        if (_statements.Count == 0)
        {
            return;
        }

        await database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = TakeCommand(database);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await database.CloseConnectionAsync();
        }
    }

    internal void Flush(DatabaseFacade database)
    {
        if (_statements.Count == 0)
        {
            return;
        }

        database.OpenConnection();
        try
        {
            using var command = TakeCommand(database);
            command.ExecuteNonQuery();
        }
        finally
        {
            database.CloseConnection();
        }
    }

    /// <summary>Adds the pending statements and their parameters to <paramref name="command"/>, after its own.</summary>
    private void AppendTo(DbCommand command)
    {
        if (_statements.Count == 0)
        {
            return;
        }

        var text = new StringBuilder(command.CommandText.TrimEnd());
        if (text.Length > 0 && text[^1] != ';')
        {
            text.Append(';');
        }

        foreach (var statement in _statements)
        {
            text.AppendLine().Append(statement).Append(';');
        }

        command.CommandText = text.ToString();
        command.Parameters.AddRange(_parameters.ToArray());

        // Taken even if the command fails: a failed pass rolls back, and its retry defers its statements again.
        Clear();
    }

    private NpgsqlCommand TakeCommand(DatabaseFacade database)
    {
        var command = new NpgsqlCommand(string.Empty, (NpgsqlConnection)database.GetDbConnection(),
            (NpgsqlTransaction?)database.CurrentTransaction?.GetDbTransaction());
        AppendTo(command);
        return command;
    }

    /// <summary>Adds the deferred statements to the first command of an <see cref="OrchestratorDbContext"/>'s <c>SaveChanges</c>.</summary>
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
