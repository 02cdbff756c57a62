using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RunMesh.Hosting.Database;

namespace RunMesh.Orchestrator.Runs.Journal;

/// <summary>One entry of a run's append-only event log (table <c>run_events</c>).</summary>
public sealed class RunEventRow
{
    public Guid RunId { get; set; }

    public long Seq { get; set; }

    public string Type { get; set; } = "";

    public JsonObject Payload { get; set; } = new();

    public string IdempotencyKey { get; set; } = "";

    public DateTimeOffset At { get; set; }
}

internal sealed class RunEventRowConfiguration : IEntityTypeConfiguration<RunEventRow>
{
    public void Configure(EntityTypeBuilder<RunEventRow> row)
    {
        row.ToTable("run_events");
        row.HasKey(e => new { e.RunId, e.Seq });
        row.Property(e => e.Type).HasMaxLength(64);
        row.Property(e => e.IdempotencyKey).HasMaxLength(200);
        row.Property(e => e.Payload).HasImmutableJsonConversion(); // The log is append-only.
        // A domain key per run: the same fact can never be logged twice, whatever retries happen.
        row.HasIndex(e => new { e.RunId, e.IdempotencyKey }).IsUnique();
    }
}
