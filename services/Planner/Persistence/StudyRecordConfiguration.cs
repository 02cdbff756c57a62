using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RunMesh.Hosting.Database;
using RunMesh.Planner.Studies;

namespace RunMesh.Planner.Persistence;

/// <summary>The <c>studies</c> table: one row per study, the saga's instance and the study's permanent record.</summary>
internal sealed class StudyRecordConfiguration : IEntityTypeConfiguration<StudyRecord>, IEntityTypeConfiguration<StudyEventRow>
{
    public void Configure(EntityTypeBuilder<StudyRecord> study)
    {
        study.ToTable("studies");
        study.HasKey(s => s.CorrelationId);
        study.Property(s => s.CorrelationId).HasColumnName("study_id").ValueGeneratedNever();
        study.Property(s => s.RowVersion).IsRowVersion();
        study.Property(s => s.CurrentState).HasColumnName("state").HasMaxLength(32);
        study.Property(s => s.Name).HasMaxLength(200);
        study.Property(s => s.Template).HasImmutableJsonConversion();
        study.Property(s => s.Definition).HasImmutableJsonConversion();
        study.Property(s => s.DefinitionDigest).HasMaxLength(71);
        study.Property(s => s.FactorKeys).HasImmutableJsonConversion();
        study.Property(s => s.Budget).HasJsonConversion();
        study.Property(s => s.Labels).HasImmutableJsonConversion();
        study.Property(s => s.RequestedBy).HasMaxLength(200);
        study.Property(s => s.StoppingAs).HasConversion<string>().HasMaxLength(32);
        study.Ignore(s => s.State);
        study.Ignore(s => s.Counts);
        study.Ignore(s => s.Usage);
        study.HasIndex(s => new { s.CreatedAt, s.CorrelationId });
        study.HasIndex(s => s.CurrentState);
        study.HasIndex(s => s.Labels).HasMethod("gin");
    }

    public void Configure(EntityTypeBuilder<StudyEventRow> row)
    {
        row.ToTable("study_events");
        row.HasKey(e => new { e.StudyId, e.Seq });
        row.Property(e => e.Type).HasMaxLength(64);
        row.Property(e => e.Payload).HasImmutableJsonConversion();
    }
}
