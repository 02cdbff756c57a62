using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Hosting.Health;

namespace RunMesh.Hosting.Database;

/// <summary>A service's own PostgreSQL database: its DbContext, migrations applied on start, readiness.</summary>
public static class DatabaseExtensions
{
    /// <summary>The connection string name every service uses for its own database.</summary>
    public const string ConnectionStringName = "Database";

    /// <summary>
    /// Registers <typeparamref name="TDbContext"/> on Npgsql with the connection string <c>ConnectionStrings:Database</c>,
    /// applies its migrations before the bus starts, and adds a readiness check.
    /// </summary>
    public static WebApplicationBuilder AddServiceDatabase<TDbContext>(this WebApplicationBuilder builder)
        where TDbContext : DbContext
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not configured (set ConnectionStrings__{ConnectionStringName}).");
        }

        // Pooled: a scope leases an instance whose internal services are built already. Building them in every scope
        // (every consumed message and request) was 7-8 % of a service's CPU. The options never change either, so they
        // are built once. A pooled context is reset by EF Core on return; state of our own that hangs off a context
        // (the orchestrator's deferred statements, the outbox's watchers) starts over with each lease.
        builder.Services.AddDbContextPool<TDbContext>(options => options.UseServiceDatabase(connectionString));

        // Registered before the bus (AddServiceBus comes later in every service), so consumers never
        // run against a schema that is not migrated yet.
        builder.Services.AddHostedService<DatabaseMigrator<TDbContext>>();

        builder.Services.AddHealthChecks()
            // A real round trip, not just Open(): a pooled connection whose socket died must count as down.
            .AddDbContextCheck<TDbContext>(
                "database",
                tags: [HealthTags.Ready],
                customTestQuery: async (db, ct) => await db.Database.ExecuteSqlRawAsync("SELECT 1", ct) == -1)
            .AddCheck<MigrationHealthCheck<TDbContext>>("database-migrations", tags: [HealthTags.Ready]);
        builder.Services.AddSingleton<MigrationState<TDbContext>>();
        return builder;
    }
}
