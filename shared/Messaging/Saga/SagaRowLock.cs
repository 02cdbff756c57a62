using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace RunMesh.Messaging.Saga;

/// <summary>
/// Loads a saga row and locks it until the transaction ends: <c>SELECT * FROM "table" WHERE "correlation_id" = @id
/// FOR UPDATE</c>, with names from the EF model (and <c>xmin</c> when the saga maps it as its row version).
/// A second message for the same saga waits here until the first one's transaction commits, and then reads the
/// committed row — READ COMMITTED re-reads a row it had to wait for, so no update is lost and no serialization
/// failure is raised.
/// </summary>
internal static class SagaRowLock<TSaga>
    where TSaga : class, ISaga
{
    public static async Task<TSaga?> LoadAsync(DbContext db, Guid correlationId, CancellationToken cancellationToken)
    {
        var sql = StoreNames.Statement(db, "saga-lock:" + typeof(TSaga).FullName, model =>
        {
            var type = typeof(TSaga);
            var xmin = StoreNames.MapsXmin(model, type) ? ", xmin" : "";
            return $"SELECT *{xmin} FROM {StoreNames.Table(model, type)} " +
                $"WHERE {StoreNames.Column(model, type, nameof(ISaga.CorrelationId))} = {{0}} FOR UPDATE";
        });
        var rows = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<TSaga>().FromSqlRaw(sql, correlationId).AsTracking(), cancellationToken);
        return rows.SingleOrDefault();
    }
}
