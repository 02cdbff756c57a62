using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Report.Reports;

/// <summary>
/// The report and manifest of one finished run generation (table <c>reports</c>, key <c>(run_id, generation)</c>).
/// Written once, by the first <c>RunFinished</c> of that generation, and never updated.
/// </summary>
public sealed class ReportRecord
{
    /// <summary>The run that executed (for a message published under an alias, the run it is an alias of).</summary>
    public Guid RunId { get; set; }

    /// <summary>The generation reported on: 1, then 2 after a retry that finished again.</summary>
    public int Generation { get; set; }

    /// <summary>The run's terminal state as on the wire (<c>completed</c>, <c>failed</c>, <c>aborted</c>, <c>cancelled</c>).</summary>
    public string State { get; set; } = "";

    /// <summary>The run that started this one; indexed, so a parent's manifest finds its children.</summary>
    public Guid? ParentRunId { get; set; }

    /// <summary>The template's name.</summary>
    public string TemplateName { get; set; } = "";

    /// <summary>The template's version.</summary>
    public int TemplateVersion { get; set; }

    /// <summary><c>sha256:…</c> of <see cref="Manifest"/>'s bytes, which are already canonical.</summary>
    public string ManifestDigest { get; set; } = "";

    /// <summary>
    /// The manifest as its canonical JSON (RFC 8785), in a <c>json</c> column: PostgreSQL keeps <c>json</c> text
    /// byte for byte (unlike <c>jsonb</c>), so the digest can be recomputed from exactly what is stored.
    /// </summary>
    public string Manifest { get; set; } = "";

    /// <summary>The report as JSON (<c>json</c> column, kept as written).</summary>
    public string ReportJson { get; set; } = "";

    /// <summary>The report as Markdown.</summary>
    public string ReportMarkdown { get; set; } = "";

    /// <summary>When the run reached its terminal state.</summary>
    public DateTimeOffset EndedAt { get; set; }

    /// <summary>When the report service stored this row.</summary>
    public DateTimeOffset StoredAt { get; set; }
}

internal sealed class ReportRecordConfiguration : IEntityTypeConfiguration<ReportRecord>
{
    public void Configure(EntityTypeBuilder<ReportRecord> row)
    {
        row.ToTable("reports");
        row.HasKey(r => new { r.RunId, r.Generation });
        row.Property(r => r.State).HasMaxLength(32);
        row.Property(r => r.ManifestDigest).HasMaxLength(71);
        row.Property(r => r.Manifest).HasColumnType("json");
        row.Property(r => r.ReportJson).HasColumnType("json");
        row.HasIndex(r => r.ParentRunId);
    }
}
