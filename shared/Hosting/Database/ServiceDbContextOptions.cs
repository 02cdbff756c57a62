using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace RunMesh.Hosting.Database;

/// <summary>One place that decides how a service's DbContext talks to PostgreSQL, at run time and design time alike.</summary>
public static class ServiceDbContextOptions
{
    /// <summary>Statements a connection prepares on the server once it ran them five times (unless the connection string says otherwise).</summary>
    public const int AutoPreparedStatements = 64;

    /// <summary>
    /// Npgsql with snake_case names (tables and columns read naturally in psql). Every <c>SaveChanges</c> inside an
    /// explicit transaction skips EF Core's automatic savepoint (<see cref="NoAutomaticSavepoints"/>).
    /// </summary>
    public static DbContextOptionsBuilder UseServiceDatabase(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(ServiceConnectionString(connectionString)).UseSnakeCaseNamingConvention()
            .AddInterceptors(NoAutomaticSavepoints.Instance);

    /// <summary>
    /// The connection string as the services use it, with two defaults of Npgsql's own performance advice that the
    /// connection string may override:
    /// <list type="bullet">
    /// <item><c>Max Auto Prepare=64</c>: the statements every message runs (the inbox claim, the saga row lock, the
    /// updates of a pass) are parsed and planned by PostgreSQL once per connection instead of once per message.</item>
    /// <item><c>No Reset On Close=true</c>: a connection going back to the pool is not reset with <c>DISCARD ALL</c>
    /// (one statement per checkout, and it would throw the prepared statements away). Safe because no service leaves
    /// session state on a pooled connection: locks are transaction-scoped (<c>pg_advisory_xact_lock</c>,
    /// <c>FOR UPDATE</c>), and the orchestrator's <c>LISTEN</c> has an unpooled connection of its own.</item>
    /// </list>
    /// </summary>
    public static string ServiceConnectionString(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers whether a keyword exists at all, not whether this string
        // sets it, so the keys are read with the base builder.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(given, "Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = AutoPreparedStatements;
        }

        if (!Sets(given, "No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    private static bool Sets(DbConnectionStringBuilder given, string keyword)
    {
        var compact = keyword.Replace(" ", string.Empty, StringComparison.Ordinal);
        return given.Keys.Cast<string>().Any(key =>
            string.Equals(key.Replace(" ", string.Empty, StringComparison.Ordinal), compact, StringComparison.OrdinalIgnoreCase));
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
