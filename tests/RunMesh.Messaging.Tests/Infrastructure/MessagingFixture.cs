using Microsoft.EntityFrameworkCore;
using Npgsql;
using RunMesh.Hosting.Database;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>One database (schema created from <see cref="LedgerDbContext"/>) and one vhost per test class.</summary>
public class MessagingFixture : IAsyncLifetime
{
    private readonly string _purpose;

    protected MessagingFixture(string purpose) => _purpose = purpose;

    public IsolatedDatabase Database { get; private set; } = null!;

    public IsolatedVirtualHost Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var servers = await TestServers.GetAsync();
        Database = await IsolatedDatabase.CreateAsync(servers, _purpose);
        Broker = await IsolatedVirtualHost.CreateAsync(servers, _purpose.Replace('_', '-'));
        await using var db = CreateDbContext();
        await db.Database.EnsureCreatedAsync();
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>A DbContext on this class's database, for arranging and asserting.</summary>
    public LedgerDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<LedgerDbContext>().UseTestDatabase(Database.ConnectionString).Options);

    /// <summary>Runs a scalar SQL query against this class's database.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await Database.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}

public static class TestDatabaseOptions
{
    /// <summary>
    /// As the services' DbContexts are configured (shared/Hosting's <c>UseServiceDatabase</c>), which is also where
    /// EF Core's automatic savepoints are turned off for the outbox's and the saga repository's transactions.
    /// </summary>
    public static TBuilder UseTestDatabase<TBuilder>(this TBuilder options, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        options.UseServiceDatabase(connectionString);
        return options;
    }
}
