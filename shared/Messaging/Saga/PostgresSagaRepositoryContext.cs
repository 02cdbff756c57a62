using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Messaging.Saga;

/// <summary>
/// The saga repository as one consumed message sees it: load with a row lock, insert, update, delete — all on the
/// DbContext (and transaction) of the current scope.
/// </summary>
internal sealed class PostgresSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    private const string InsertSavepoint = "saga_insert";
    private readonly DbContext _db;
    private readonly ConsumeContext<TMessage> _context;
    private readonly ISagaConsumeContextFactory<DbContext, TSaga> _factory;

    public PostgresSagaRepositoryContext(DbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<DbContext, TSaga> factory)
        : base(context, db)
    {
        _db = db;
        _context = context;
        _factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        // A duplicate of an initiating event that arrives after the first one committed is the common case:
        // finding the row first avoids a failing INSERT (which EF Core logs as an error).
        if (await SagaRowLock<TSaga>.LoadAsync(_db, instance.CorrelationId, CancellationToken) is not null)
        {
            return null!;
        }

        // A failed statement aborts a Postgres transaction; the savepoint keeps it usable for the Load that follows.
        var transaction = _db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("The saga repository inserts inside a transaction.");
        await transaction.CreateSavepointAsync(InsertSavepoint, CancellationToken);
        var entry = _db.Set<TSaga>().Add(instance);
        try
        {
            await _db.SaveChangesAsync(CancellationToken);
            await transaction.ReleaseSavepointAsync(InsertSavepoint, CancellationToken);
            return await _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Insert);
        }
        catch (DbUpdateException exception) when (TransientDatabaseFailure.IsUniqueViolation(exception))
        {
            // A concurrent message inserted the same saga first; MassTransit falls back to Load on null.
            await transaction.RollbackToSavepointAsync(InsertSavepoint, CancellationToken);
            entry.State = EntityState.Detached;
            return null!;
        }
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await SagaRowLock<TSaga>.LoadAsync(_db, correlationId, CancellationToken);
        return instance is null
            ? null!
            : await _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Load);
    }

    public async Task Save(SagaConsumeContext<TSaga> context)
    {
        _db.Set<TSaga>().Add(context.Saga);
        await _db.SaveChangesAsync(CancellationToken);
    }

    /// <summary>
    /// Saves the saga's changes — unless an outbox pass owns the DbContext: its commit saves them with the inbox mark
    /// in one batch (the row is locked either way, so nothing can change it in between).
    /// </summary>
    public Task Update(SagaConsumeContext<TSaga> context) =>
        OutboxPass.Saves(_db) ? Task.CompletedTask : _db.SaveChangesAsync(CancellationToken);

    public async Task Delete(SagaConsumeContext<TSaga> context)
    {
        _db.Set<TSaga>().Remove(context.Saga);
        await _db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        // An event that changed nothing worth keeping (read-only): forget in-memory changes, write nothing.
        var entry = _db.ChangeTracker.Entries<TSaga>().FirstOrDefault(e => e.Entity.CorrelationId == context.Saga.CorrelationId);
        if (entry is not null)
        {
            entry.State = EntityState.Unchanged;
        }

        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_db, consumeContext, instance, mode);
}
