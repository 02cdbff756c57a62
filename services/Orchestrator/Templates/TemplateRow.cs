using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Orchestrator.Templates;

/// <summary>A registered template (table <c>templates</c>): immutable, identified by name and version and by its hash.</summary>
public sealed class TemplateRow
{
    public string Name { get; set; } = "";

    public int Version { get; set; }

    /// <summary><c>sha256:…</c> of the template's canonical JSON.</summary>
    public string Hash { get; set; } = "";

    /// <summary>The template's canonical JSON (RFC 8785), exactly as it was hashed.</summary>
    public string CanonicalJson { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string? CreatedBy { get; set; }
}

internal sealed class TemplateRowConfiguration : IEntityTypeConfiguration<TemplateRow>
{
    public void Configure(EntityTypeBuilder<TemplateRow> row)
    {
        row.ToTable("templates");
        row.HasKey(t => new { t.Name, t.Version });
        row.Property(t => t.Name).HasMaxLength(63);
        row.Property(t => t.Hash).HasMaxLength(71);
        row.Property(t => t.CanonicalJson).HasColumnType("jsonb");
        row.Property(t => t.CreatedBy).HasMaxLength(200);
        // Content-addressed: a run may name a template by its hash ("sha256:…").
        row.HasIndex(t => t.Hash);
    }
}
