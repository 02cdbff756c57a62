using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace RunMesh.Hosting.Database;

/// <summary>One place that decides how a service's DbContext talks to PostgreSQL, at run time and design time alike.</summary>
public static class ServiceDbContextOptions
{
    /// <summary>Statements a connection prepares on the server once it ran them twice (unless the connection string says otherwise).</summary>
    public const int AutoPreparedStatements = 64;

    /// <summary>Npgsql with snake_case names (tables and columns read naturally in psql).</summary>
    public static DbContextOptionsBuilder UseServiceDatabase(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(ServiceConnectionString(connectionString)).UseSnakeCaseNamingConvention();

    /// <summary>
    /// The connection string as the services use it: with Npgsql's automatic preparation on, so the statements every
    /// message runs (the inbox claim, the saga row lock, the updates of a pass) are parsed and planned by PostgreSQL
    /// once per connection instead of once per message.
    /// </summary>
    public static string ServiceConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!builder.ContainsKey(nameof(NpgsqlConnectionStringBuilder.MaxAutoPrepare)) && builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = AutoPreparedStatements;
        }

        return builder.ConnectionString;
    }
}

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build a service's DbContext without starting the service.
/// The connection string is never opened while adding a migration.
/// </summary>
public abstract class ServiceDbContextDesignFactory<TDbContext> : IDesignTimeDbContextFactory<TDbContext>
    where TDbContext : DbContext
{
    /// <inheritdoc />
    public TDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TDbContext>()
            .UseServiceDatabase("Host=127.0.0.1;Database=design_time")
            .Options;
        return (TDbContext)Activator.CreateInstance(typeof(TDbContext), options)!;
    }
}
