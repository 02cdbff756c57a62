using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Journal;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>The orchestrator's own database (`runmesh_orchestrator`): runs, their journal, and the inbox/outbox.</summary>
public sealed class OrchestratorDbContext(DbContextOptions<OrchestratorDbContext> options) : DbContext(options)
{
    /// <summary>Runs (the saga rows).</summary>
    public DbSet<RunRecord> Runs => Set<RunRecord>();

    /// <summary>The runs' event logs.</summary>
    public DbSet<RunEventRow> RunEvents => Set<RunEventRow>();

    /// <summary>What each attempt produced.</summary>
    public DbSet<RunArtifactRow> RunArtifacts => Set<RunArtifactRow>();

    /// <summary>Artifact contents by digest.</summary>
    public DbSet<ArtifactBlob> ArtifactBlobs => Set<ArtifactBlob>();

    /// <summary>Durable deadlines watched by the deadline scan.</summary>
    public DbSet<RunDeadlineRow> RunDeadlines => Set<RunDeadlineRow>();

    /// <summary>Registered templates.</summary>
    public DbSet<TemplateRow> Templates => Set<TemplateRow>();

    /// <summary>Which run holds each input bundle hash.</summary>
    public DbSet<InputBundleClaim> InputBundleClaims => Set<InputBundleClaim>();

    /// <summary>Sender-chosen run ids that point at another run.</summary>
    public DbSet<RunAlias> RunAliases => Set<RunAlias>();

    /// <summary>Idempotency keys of run starts.</summary>
    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();

    private readonly DeferredStatements _deferred = new();
    private int _deferredLease;

    /// <summary>
    /// Journal writes sent with the next <c>SaveChanges</c>, in the same round trip as its own statements. The instance
    /// is pooled: each lease starts with none, so what a failed pass left unsent never reaches the next user.
    /// </summary>
    public DeferredStatements Deferred
    {
        get
        {
            if (_deferredLease != ContextId.Lease)
            {
                _deferred.Clear();
                _deferredLease = ContextId.Lease;
            }

            return _deferred;
        }
    }

    /// <inheritdoc />
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var saved = base.SaveChanges(acceptAllChangesOnSuccess);
        Deferred.Flush(Database); // Only what no command of SaveChanges carried (it had nothing of its own to write).
        return saved;
    }

    /// <inheritdoc />
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        await Deferred.FlushAsync(Database, cancellationToken); // Only what no command of SaveChanges carried.
        return saved;
    }

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(OrchestratorDbContext).Assembly);
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class OrchestratorDbContextDesignFactory : ServiceDbContextDesignFactory<OrchestratorDbContext>;
