using System.Data;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace RunMesh.Messaging.Saga;

/// <summary>
/// Saga repository on <typeparamref name="TDbContext"/> with pessimistic row locks (the equivalent of
/// MassTransit's <c>EntityFrameworkSagaRepositoryContextFactory</c> with <c>ConcurrencyMode.Pessimistic</c>).
/// Inside the Postgres outbox it joins the outbox's transaction (found as <see cref="IPostgresTransactionContext"/>
/// on the consume context), so saga state, inbox row and outgoing messages commit together. Without the outbox it
/// runs each message in a READ COMMITTED transaction of its own, retried when it loses a race.
/// </summary>
internal sealed partial class PostgresSagaRepositoryContextFactory<TSaga, TDbContext>(
    TDbContext db,
    ISagaConsumeContextFactory<DbContext, TSaga> consumeContextFactory,
    ILogger<PostgresSagaRepositoryContextFactory<TSaga, TDbContext>> logger) :
    ISagaRepositoryContextFactory<TSaga>,
    IQuerySagaRepositoryContextFactory<TSaga>,
    ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
    where TDbContext : DbContext
{
    private const int MaxAttempts = 8;

    public Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class =>
        WithinTransactionAsync(context, () => next.Send(new PostgresSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory)));

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        WithinTransactionAsync(context, async () =>
        {
            var repository = new PostgresSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory);
            var instances = await LockMatchingAsync(query, context.CancellationToken);
            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repository, instances));
        });

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        asyncMethod(new PostgresSagaQueryContext<TSaga>(db, cancellationToken));

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        asyncMethod(new PostgresSagaQueryContext<TSaga>(db, cancellationToken));

    public void Probe(ProbeContext context)
    {
        context.Add("persistence", "postgres");
        context.Add("dbContext", typeof(TDbContext).Name);
    }

    /// <summary>
    /// Finds the matching sagas, then locks them one by one in id order (a fixed order, so two queries never
    /// deadlock on each other) and keeps those that still match once locked.
    /// </summary>
    private async Task<List<TSaga>> LockMatchingAsync(ISagaQuery<TSaga> query, CancellationToken cancellationToken)
    {
        var ids = await EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<TSaga>().AsNoTracking().Where(query.FilterExpression).Select(x => x.CorrelationId).OrderBy(id => id),
            cancellationToken);
        var filter = query.GetFilter();
        var instances = new List<TSaga>(ids.Count);
        foreach (var id in ids)
        {
            if (await SagaRowLock<TSaga>.LoadAsync(db, id, cancellationToken) is { } instance && filter(instance))
            {
                instances.Add(instance);
            }
        }

        return instances;
    }

    private async Task WithinTransactionAsync<T>(ConsumeContext<T> context, Func<Task> work)
        where T : class
    {
        if (context.TryGetPayload(out IPostgresTransactionContext? _))
        {
            await work();
            return;
        }

        var strategy = db.Database.CreateExecutionStrategy();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await strategy.ExecuteAsync(() => RunOnceAsync(work, context.CancellationToken));
                return;
            }
            catch (Exception exception) when (attempt < MaxAttempts && TransientDatabaseFailure.IsTransient(exception))
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(2000, 20 * Math.Pow(2, attempt)) * (0.5 + Random.Shared.NextDouble()));
                LogRetry(logger, typeof(TSaga).Name, attempt, delay.TotalMilliseconds, exception.Message);
                await Task.Delay(delay, context.CancellationToken);
            }
        }
    }

    private async Task RunOnceAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        try
        {
            await work();
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRollbackFailed(logger, exception.Message);
            }

            // Whatever the failed attempt loaded or changed must not survive into the next one.
            db.ChangeTracker.Clear();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Saga {Saga} transaction lost a race (attempt {Attempt}); retrying in {DelayMs:0} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, string saga, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Saga rollback failed (the server rolls back on its own): {Reason}")]
    private static partial void LogRollbackFailed(ILogger logger, string reason);
}
