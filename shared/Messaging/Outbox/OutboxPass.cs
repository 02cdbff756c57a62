using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Marks a DbContext while a transactional outbox pass owns it: the pass ends with its own <c>SaveChanges</c> and
/// commit, so a saga repository working in it can leave its changes to that <c>SaveChanges</c> instead of sending
/// them one round trip (and one change detection) earlier.
/// </summary>
internal static class OutboxPass
{
    private static readonly ConditionalWeakTable<DbContext, object> s_active = [];

    public static void Begin(DbContext db) => s_active.AddOrUpdate(db, s_active);

    public static void End(DbContext db) => s_active.Remove(db);

    /// <summary>Whether a pass will save and commit <paramref name="db"/>'s changes.</summary>
    public static bool Saves(DbContext db) => s_active.TryGetValue(db, out _);
}
