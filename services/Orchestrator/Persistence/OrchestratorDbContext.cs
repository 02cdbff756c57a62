using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>The orchestrator service's own database (`runmesh_orchestrator`).</summary>
public sealed class OrchestratorDbContext(DbContextOptions<OrchestratorDbContext> options) : DbContext(options)
{
    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class OrchestratorDbContextDesignFactory : ServiceDbContextDesignFactory<OrchestratorDbContext>;
