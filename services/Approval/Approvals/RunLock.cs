using Microsoft.EntityFrameworkCore;
using RunMesh.Approval.Persistence;

namespace RunMesh.Approval.Approvals;

/// <summary>
/// Serializes what happens to one run's requests: <see cref="Contracts.ApprovalRequested"/> and
/// <see cref="Contracts.RunFinished"/> of the same run may arrive at the same moment (on two instances, too), and
/// without a lock a request could be stored pending just after the run's ending closed the others. A transaction-scoped
/// advisory lock on the run id makes the second wait for the first's commit; it is released by commit or rollback.
/// </summary>
internal static class RunLock
{
    /// <summary>Takes the lock of <paramref name="runId"/> in the current transaction of <paramref name="db"/>.</summary>
    public static Task TakeAsync(ApprovalDbContext db, Guid runId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"SELECT pg_advisory_xact_lock(hashtextextended({runId.ToString()}, 0))", cancellationToken);
}
