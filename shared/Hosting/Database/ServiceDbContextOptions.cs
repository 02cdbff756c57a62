using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RunMesh.Hosting.Database;

/// <summary>One place that decides how a service's DbContext talks to PostgreSQL, at run time and design time alike.</summary>
public static class ServiceDbContextOptions
{
    /// <summary>Npgsql with snake_case names (tables and columns read naturally in psql).</summary>
    public static DbContextOptionsBuilder UseServiceDatabase(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention();
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
