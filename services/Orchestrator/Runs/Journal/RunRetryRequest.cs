using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Orchestrator.Runs.Journal;

/// <summary>
/// A retry taken by <c>POST /api/runs/{runId}/retry</c> (table <c>run_retry_requests</c>): at most one per run and
/// generation — the failure's one retry. The retry is applied in the same transaction, under the run row's lock, so a
/// second retry of the same failure finds the run no longer failed; the row also keeps a retry accepted before that
/// (and still on its way as a <see cref="RunMesh.Contracts.RetryRun"/>) from being taken twice.
/// </summary>
public sealed class RunRetryRequest
{
    public Guid RunId { get; set; }

    /// <summary>The run's generation when it failed (the retry starts the next one).</summary>
    public int Generation { get; set; }

    public DateTimeOffset RequestedAt { get; set; }
}

internal sealed class RunRetryRequestConfiguration : IEntityTypeConfiguration<RunRetryRequest>
{
    public void Configure(EntityTypeBuilder<RunRetryRequest> request)
    {
        request.ToTable("run_retry_requests");
        request.HasKey(r => new { r.RunId, r.Generation });
    }
}
