using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>
/// Makes the next committed transaction look failed to its caller, as when the connection drops right after the
/// server executed COMMIT: the data is committed, the caller sees a transient Npgsql error.
/// </summary>
public sealed class CommitFailureInjector : DbTransactionInterceptor
{
    private int _armed;
    private int _fired;

    public bool Fired => Volatile.Read(ref _fired) == 1;

    public void ArmOnce() => Volatile.Write(ref _armed, 1);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            Volatile.Write(ref _fired, 1);
            throw new NpgsqlException("Connection dropped after COMMIT (simulated)", new IOException("connection reset"));
        }

        return Task.CompletedTask;
    }
}
