using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace RunMesh.Messaging.Saga;

/// <summary>Reads sagas outside a consumed message (e.g. an API showing saga state): no locks, no tracking.</summary>
internal sealed class PostgresSagaQueryContext<TSaga>(DbContext db, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), QuerySagaRepositoryContext<TSaga>, LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISaga
{
    public async Task<TSaga> Load(Guid correlationId) =>
        (await EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
            db.Set<TSaga>().AsNoTracking(), x => x.CorrelationId == correlationId, CancellationToken))!;

    public async Task<SagaRepositoryQueryContext<TSaga>> Query(ISagaQuery<TSaga> query, CancellationToken cancellationToken)
    {
        var ids = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<TSaga>().AsNoTracking().Where(query.FilterExpression).Select(x => x.CorrelationId), cancellationToken);
        return new DefaultSagaRepositoryQueryContext<TSaga>(this, ids);
    }
}
