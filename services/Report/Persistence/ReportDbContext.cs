using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;
using RunMesh.Report.Reports;

namespace RunMesh.Report.Persistence;

/// <summary>The report service's own database (`runmesh_report`): reports and manifests, and the inbox/outbox.</summary>
public sealed class ReportDbContext(DbContextOptions<ReportDbContext> options) : DbContext(options)
{
    /// <summary>One row per finished run generation.</summary>
    public DbSet<ReportRecord> Reports => Set<ReportRecord>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ReportDbContext).Assembly);
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class ReportDbContextDesignFactory : ServiceDbContextDesignFactory<ReportDbContext>;
