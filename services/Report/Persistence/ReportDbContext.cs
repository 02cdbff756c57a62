using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Report.Persistence;

/// <summary>The report service's own database (`runmesh_report`).</summary>
public sealed class ReportDbContext(DbContextOptions<ReportDbContext> options) : DbContext(options)
{
    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class ReportDbContextDesignFactory : ServiceDbContextDesignFactory<ReportDbContext>;
