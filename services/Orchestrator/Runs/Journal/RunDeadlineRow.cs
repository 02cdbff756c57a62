using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Orchestrator.Runs.Journal;

/// <summary>
/// A durable deadline (table <c>run_deadlines</c>): at most one per run and kind. Written and removed in the saga's
/// transaction; the deadline scan claims due rows with <c>FOR UPDATE SKIP LOCKED</c>, sends the timer message through
/// the outbox and deletes them — it never edits a run.
/// </summary>
public sealed class RunDeadlineRow
{
    public Guid RunId { get; set; }

    public DeadlineKind Kind { get; set; }

    public DateTimeOffset DueAt { get; set; }

    public string? PhaseKey { get; set; }

    public int? Attempt { get; set; }

    public Guid? ExecutionId { get; set; }

    public int? Generation { get; set; }
}

internal sealed class RunDeadlineRowConfiguration : IEntityTypeConfiguration<RunDeadlineRow>
{
    public void Configure(EntityTypeBuilder<RunDeadlineRow> row)
    {
        row.ToTable("run_deadlines");
        row.HasKey(d => new { d.RunId, d.Kind });
        row.Property(d => d.Kind).HasConversion<string>().HasMaxLength(16);
        row.Property(d => d.PhaseKey).HasMaxLength(64);
        row.HasIndex(d => d.DueAt);
    }
}
