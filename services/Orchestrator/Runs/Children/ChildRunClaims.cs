using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>
/// Who took a run id first (table <c>run_id_claims</c>): the admission of a child run, or a <see cref="RunMesh.Contracts.CancelRun"/>
/// that reached the orchestrator before the run it names existed. Both sides insert under the same primary key, so
/// of a child's admission and its parent's cancel exactly one comes first, even when they race: the admission waits
/// for an uncommitted cancel and is refused, a cancel waits for an uncommitted admission and then cancels the run it
/// created. This is what keeps a child from starting after its parent ended without locking the parent's row.
/// </summary>
public sealed class RunIdClaim
{
    public Guid RunId { get; set; }

    public DateTimeOffset ClaimedAt { get; set; }

    /// <summary>True when a cancel took the id before any run had it.</summary>
    public bool Cancelled { get; set; }

    /// <summary>The cancel's reason, when <see cref="Cancelled"/>.</summary>
    public string? Reason { get; set; }
}

internal sealed class RunIdClaimConfiguration : IEntityTypeConfiguration<RunIdClaim>
{
    public void Configure(EntityTypeBuilder<RunIdClaim> claim)
    {
        claim.ToTable("run_id_claims");
        claim.HasKey(c => c.RunId);
        claim.Property(c => c.Reason).HasMaxLength(1000);
    }
}

/// <summary>The two ways of taking a run id in <c>run_id_claims</c> (<see cref="RunIdClaim"/>), each one round trip when the id is free.</summary>
public sealed class ChildRunClaims(OrchestratorDbContext db, TimeProvider clock)
{
    /// <summary>
    /// Claims <paramref name="runId"/> for the admission of a child run, in the admission's transaction. Answers null
    /// when the child may be created, or the reason of the cancel that came first.
    /// </summary>
    public async Task<string?> ClaimForAdmissionAsync(Guid runId, CancellationToken cancellationToken)
    {
        if (await InsertAsync(runId, cancelled: false, reason: null, cancellationToken))
        {
            return null;
        }

        // Taken already: by a cancel (refuse), or by an earlier admission of the same id, whose run the caller's insert meets.
        var earlier = await db.Set<RunIdClaim>().AsNoTracking().SingleAsync(c => c.RunId == runId, cancellationToken);
        return earlier.Cancelled ? earlier.Reason ?? "cancelled" : null;
    }

    /// <summary>
    /// Records a cancel of <paramref name="runId"/>, which names no run yet, so that its admission is refused. False when
    /// the id was taken first (the run was admitted meanwhile, or its start was already refused).
    /// </summary>
    public Task<bool> ClaimForCancelAsync(Guid runId, string reason, CancellationToken cancellationToken) =>
        InsertAsync(runId, cancelled: true, reason.Length <= 1000 ? reason : reason[..1000], cancellationToken);

    private async Task<bool> InsertAsync(Guid runId, bool cancelled, string? reason, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO run_id_claims (run_id, claimed_at, cancelled, reason) VALUES ({runId}, {clock.GetUtcNow()}, {cancelled}, {reason}) ON CONFLICT DO NOTHING",
            cancellationToken) == 1;
}
