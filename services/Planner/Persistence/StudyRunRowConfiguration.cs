using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RunMesh.Planner.Studies;

namespace RunMesh.Planner.Persistence;

internal sealed class StudyRunRowConfiguration : IEntityTypeConfiguration<StudyRunRow>
{
    public void Configure(EntityTypeBuilder<StudyRunRow> row)
    {
        row.ToTable("study_runs");
        row.HasKey(r => new { r.StudyId, r.PlanIndex });
        row.HasIndex(r => r.RunId).IsUnique();
        row.HasIndex(r => new { r.StudyId, r.State, r.PlanIndex });
        row.Property(r => r.ConditionId).HasMaxLength(13);
        row.Property(r => r.Factors).HasColumnType("jsonb").HasConversion(
            v => v.ToJsonString(null), v => System.Text.Json.Nodes.JsonNode.Parse(v, null, default)!.AsObject());
        row.Property(r => r.State).HasMaxLength(16);
        row.Property(r => r.ErrorCode).HasMaxLength(64);
        row.Property(r => r.FinalArtifactDigest).HasMaxLength(71);
    }
}
