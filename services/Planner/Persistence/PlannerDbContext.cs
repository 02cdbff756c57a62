using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;
using RunMesh.Planner.Studies;

namespace RunMesh.Planner.Persistence;

/// <summary>The planner's own database (<c>runmesh_planner</c>): studies (the saga rows), their planned runs, inbox/outbox.</summary>
public sealed class PlannerDbContext(DbContextOptions<PlannerDbContext> options) : DbContext(options)
{
    /// <summary>Every study (the saga rows).</summary>
    public DbSet<StudyRecord> Studies => Set<StudyRecord>();

    /// <summary>Every study's progress events.</summary>
    public DbSet<StudyEventRow> StudyEvents => Set<StudyEventRow>();

    /// <summary>Every planned run of every study.</summary>
    public DbSet<StudyRunRow> StudyRuns => Set<StudyRunRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PlannerDbContext).Assembly);
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class PlannerDbContextDesignFactory : ServiceDbContextDesignFactory<PlannerDbContext>;
