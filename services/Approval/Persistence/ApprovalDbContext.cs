using Microsoft.EntityFrameworkCore;
using RunMesh.Approval.Approvals;
using RunMesh.Hosting.Database;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Approval.Persistence;

/// <summary>The approval service's own database (`runmesh_approval`): approval requests, run endings, inbox/outbox.</summary>
public sealed class ApprovalDbContext(DbContextOptions<ApprovalDbContext> options) : DbContext(options)
{
    /// <summary>Every approval request ever received.</summary>
    public DbSet<ApprovalRequestRow> Requests => Set<ApprovalRequestRow>();

    /// <summary>Runs that finished, with their highest generation.</summary>
    public DbSet<RunEndingRow> RunEndings => Set<RunEndingRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();

        modelBuilder.Entity<ApprovalRequestRow>(request =>
        {
            request.ToTable("approval_requests");
            request.HasKey(r => r.RequestId);
            request.Property(r => r.Seq).UseIdentityAlwaysColumn();
            request.HasIndex(r => r.Seq).IsUnique();
            request.HasIndex(r => r.IdempotencyKey).IsUnique();
            request.HasIndex(r => new { r.RunId, r.State });
            request.HasIndex(r => new { r.State, r.Seq });
            // The expiry scan's work list: only pending requests that can expire.
            request.HasIndex(r => r.ExpiresAt).HasFilter("state = 'pending' AND expires_at IS NOT NULL");
            request.Property(r => r.IdempotencyKey).HasMaxLength(600);
            request.Property(r => r.PhaseKey).HasMaxLength(200);
            request.Property(r => r.Gate).HasMaxLength(200);
            request.Property(r => r.ArtifactDigest).HasMaxLength(100);
            request.Property(r => r.ArtifactPreview).HasColumnType("jsonb");
            request.Property(r => r.State).HasMaxLength(20);
            request.Property(r => r.DecidedBy).HasMaxLength(200);
            request.Property(r => r.Comment).HasMaxLength(ApprovalLimits.MaxCommentLength);
        });

        modelBuilder.Entity<RunEndingRow>(ending =>
        {
            ending.ToTable("run_endings");
            ending.HasKey(e => e.RunId);
            ending.Property(e => e.RunId).ValueGeneratedNever();
        });
    }
}

/// <summary>Design-time factory for `dotnet ef`.</summary>
internal sealed class ApprovalDbContextDesignFactory : ServiceDbContextDesignFactory<ApprovalDbContext>;
