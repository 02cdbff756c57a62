using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using RunMesh.Hosting.Database;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Orchestrator.Tests.Persistence;

/// <summary>A fresh orchestrator database on the shared PostgreSQL server, migrated as the service migrates it.</summary>
internal sealed class MigratedOrchestratorDatabase : IAsyncDisposable
{
    private readonly IsolatedDatabase _database;

    private MigratedOrchestratorDatabase(IsolatedDatabase database) => _database = database;

    public string ConnectionString => _database.ConnectionString;

    public static async Task<MigratedOrchestratorDatabase> CreateAsync(string purpose)
    {
        var database = new MigratedOrchestratorDatabase(await IsolatedDatabase.CreateAsync(await TestServers.GetAsync(), purpose));
        await using var db = database.Open();
        await db.Database.MigrateAsync();
        return database;
    }

    /// <summary>A DbContext on this database, configured as the service configures it (plus <paramref name="interceptors"/>).</summary>
    public OrchestratorDbContext Open(params IInterceptor[] interceptors)
    {
        var options = new DbContextOptionsBuilder<OrchestratorDbContext>();
        options.UseServiceDatabase(ConnectionString).AddInterceptors([DeferredStatements.Interceptor, .. interceptors]);
        return new OrchestratorDbContext(options.Options);
    }

    /// <summary>A pool of DbContexts on this database, as the service leases them (one instance per lease at a time).</summary>
    public PooledDbContextFactory<OrchestratorDbContext> Pool(params IInterceptor[] interceptors)
    {
        var options = new DbContextOptionsBuilder<OrchestratorDbContext>();
        options.UseServiceDatabase(ConnectionString).AddInterceptors([DeferredStatements.Interceptor, .. interceptors]);
        return new PooledDbContextFactory<OrchestratorDbContext>(options.Options);
    }

    public Task<Npgsql.NpgsqlConnection> OpenConnectionAsync() => _database.OpenAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
