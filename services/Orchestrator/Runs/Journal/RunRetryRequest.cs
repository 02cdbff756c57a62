using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Orchestrator.Runs.Journal;

/// <summary>
/// A retry accepted by <c>POST /api/runs/{id}/retry</c> (table <c>run_retry_requests</c>): at most one per run and
/// generation, so of two concurrent retries of the same failed run exactly one is answered 202 and sends
/// <see cref="RunMesh.Contracts.RetryRun"/>; the other is refused.
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
