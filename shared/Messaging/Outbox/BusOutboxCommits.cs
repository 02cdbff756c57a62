using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RunMesh.Messaging.Outbox;

/// <summary>A scope's bus outbox, told when what it stored is saved and when that is committed.</summary>
internal interface ICommittedBusOutbox
{
    /// <summary>
    /// A <c>SaveChanges</c> finished: what it saved belongs to transaction <paramref name="transactionId"/>, or, with
    /// <see langword="null"/>, committed already (a <c>SaveChanges</c> outside a transaction commits on its own).
    /// </summary>
    void Saved(Guid? transactionId);

    /// <summary>Transaction <paramref name="transactionId"/> committed.</summary>
    void Committed(Guid transactionId);
}

/// <summary>
/// Tells a scope's bus outbox when its DbContext saved and committed, so its messages are sent at once instead of
/// waiting for the delivery service. What a transaction saved is sent only when that transaction commits: one rolled
/// back (or abandoned) never reports a commit, so nothing it stored is sent.
/// </summary>
internal sealed class BusOutboxCommits : DbTransactionInterceptor, ISaveChangesInterceptor
{
    public static readonly BusOutboxCommits Instance = new();

    private static readonly ConditionalWeakTable<DbContext, ICommittedBusOutbox> s_watched = [];

    private BusOutboxCommits()
    {
    }

    /// <summary>Watches <paramref name="db"/>'s commits for <paramref name="outbox"/> (one outbox per DbContext).</summary>
    public static void Watch(DbContext db, ICommittedBusOutbox outbox) => s_watched.AddOrUpdate(db, outbox);

    /// <summary>
    /// Stops watching <paramref name="db"/> for <paramref name="outbox"/>. DbContexts are pooled: once returned, the
    /// same instance may already serve another scope's outbox, which must stay watched.
    /// </summary>
    public static void Forget(DbContext db, ICommittedBusOutbox outbox)
    {
        if (s_watched.TryGetValue(db, out var watched) && ReferenceEquals(watched, outbox))
        {
            s_watched.Remove(db);
        }
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (Watched(eventData.Context) is { } outbox)
        {
            outbox.Committed(eventData.TransactionId);
        }
    }

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (Watched(eventData.Context) is { } outbox)
        {
            // EF Core's own transaction around a SaveChanges is committed and gone by now: no transaction means committed.
            outbox.Saved(eventData.Context!.Database.CurrentTransaction?.TransactionId);
        }

        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(SavedChanges(eventData, result));

    private static ICommittedBusOutbox? Watched(DbContext? db) =>
        db is not null && s_watched.TryGetValue(db, out var outbox) ? outbox : null;
}
