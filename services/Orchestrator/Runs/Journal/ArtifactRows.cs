using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Orchestrator.Runs.Journal;

/// <summary>An artifact's canonical bytes, stored once per digest (table <c>artifact_blobs</c>).</summary>
public sealed class ArtifactBlob
{
    public string Digest { get; set; } = "";

    public byte[] Content { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>What one attempt of a run's phase produced (table <c>run_artifacts</c>).</summary>
public sealed class RunArtifactRow
{
    public Guid RunId { get; set; }

    public string PhaseKey { get; set; } = "";

    public int Attempt { get; set; }

    public string Digest { get; set; } = "";

    /// <summary>Whether it became the phase's accepted artifact (an invalid one is kept for provenance only).</summary>
    public bool Accepted { get; set; }
}

internal sealed class ArtifactRowsConfiguration : IEntityTypeConfiguration<ArtifactBlob>, IEntityTypeConfiguration<RunArtifactRow>
{
    public void Configure(EntityTypeBuilder<ArtifactBlob> blob)
    {
        blob.ToTable("artifact_blobs");
        blob.HasKey(b => b.Digest);
        blob.Property(b => b.Digest).HasMaxLength(71);
    }

    public void Configure(EntityTypeBuilder<RunArtifactRow> row)
    {
        row.ToTable("run_artifacts");
        row.HasKey(a => new { a.RunId, a.PhaseKey, a.Attempt });
        row.Property(a => a.PhaseKey).HasMaxLength(64);
        row.Property(a => a.Digest).HasMaxLength(71);
        row.HasOne<ArtifactBlob>().WithMany().HasForeignKey(a => a.Digest);
    }
}
