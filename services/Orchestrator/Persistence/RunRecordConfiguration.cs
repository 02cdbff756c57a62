using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RunMesh.Hosting.Database;
using RunMesh.Orchestrator.Runs;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>The <c>runs</c> table: one row per run, the saga's instance and the run's permanent record.</summary>
internal sealed class RunRecordConfiguration : IEntityTypeConfiguration<RunRecord>
{
    public void Configure(EntityTypeBuilder<RunRecord> run)
    {
        run.ToTable("runs");
        run.HasKey(r => r.CorrelationId);
        run.Property(r => r.CorrelationId).HasColumnName("run_id").ValueGeneratedNever();
        run.Property(r => r.RowVersion).IsRowVersion();
        run.Property(r => r.CurrentState).HasColumnName("state").HasMaxLength(32);
        run.Property(r => r.Definition).HasImmutableJsonConversion();
        run.Property(r => r.Phases).HasJsonConversion();
        run.Property(r => r.Outputs).HasJsonConversion();
        run.Property(r => r.Usage).HasJsonConversion();
        run.Property(r => r.Error).HasJsonConversion();
        run.Property(r => r.Approval).HasJsonConversion();
        run.Property(r => r.Retry).HasJsonConversion();
        run.Property(r => r.ReportUrl).HasMaxLength(512);
        run.Property(r => r.TemplateName).HasMaxLength(63);
        run.Property(r => r.RequestedBy).HasMaxLength(200);
        run.Property(r => r.Labels).HasImmutableJsonConversion();
        run.Ignore(r => r.State);
        run.Ignore(r => r.CurrentPhase);
        run.Ignore(r => r.CurrentPlan);
        run.HasIndex(r => new { r.CreatedAt, r.CorrelationId });
        run.HasIndex(r => r.CurrentState);
        run.HasIndex(r => new { r.TemplateName, r.TemplateVersion });
        run.HasIndex(r => r.Labels).HasMethod("gin");
        run.HasIndex(r => r.ParentRunId);
    }
}
