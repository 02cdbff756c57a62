using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Approval.Persistence;

/// <summary>The approval service's own database (`runmesh_approval`).</summary>
public sealed class ApprovalDbContext(DbContextOptions<ApprovalDbContext> options) : DbContext(options)
{
    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class ApprovalDbContextDesignFactory : ServiceDbContextDesignFactory<ApprovalDbContext>;
