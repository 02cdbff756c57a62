using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>
/// The SQL of every command EF Core sends for the test host's DbContexts (each SaveChanges batch is one), and the
/// savepoints it sets in their transactions.
/// </summary>
public sealed class StatementRecorder : DbCommandInterceptor, IDbTransactionInterceptor
{
    private readonly ConcurrentQueue<string> _commands = new();
    private int _savepoints;

    public IReadOnlyList<string> Commands => [.. _commands];

    /// <summary>How many savepoints were set, EF Core's automatic ones included.</summary>
    public int Savepoints => Volatile.Read(ref _savepoints);

    public void Clear()
    {
        _commands.Clear();
        Interlocked.Exchange(ref _savepoints, 0);
    }

    public ValueTask<InterceptionResult> CreatingSavepointAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _savepoints);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        _commands.Enqueue(command.CommandText);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        _commands.Enqueue(command.CommandText);
        return ValueTask.FromResult(result);
    }
}
