using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RunMesh.Hosting.Database;

/// <summary>
/// Turns off EF Core's automatic savepoint around a <c>SaveChanges</c> inside an explicit transaction (a
/// <c>SAVEPOINT</c> before and a <c>RELEASE</c> after: two round trips). Every transaction in the services is
/// all-or-nothing: a failed save rolls the whole transaction back, and the one place that recovers from a failed
/// statement inside a transaction (the saga repository's insert) sets its own savepoint.
/// </summary>
internal sealed class NoAutomaticSavepoints : SaveChangesInterceptor
{
    public static readonly NoAutomaticSavepoints Instance = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Disable(eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Disable(eventData);
        return ValueTask.FromResult(result);
    }

    private static void Disable(DbContextEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            context.Database.AutoSavepointsEnabled = false;
        }
    }
}
