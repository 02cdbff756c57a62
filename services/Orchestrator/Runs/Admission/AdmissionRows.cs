using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RunMesh.Hosting.Database;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>
/// The one run that holds an input bundle hash (table <c>input_bundle_claims</c>): held while that run is in flight or
/// completed, released when it ends any other way. Its primary key makes "50 identical concurrent starts give one run"
/// hold under concurrency.
/// </summary>
public sealed class InputBundleClaim
{
    public string InputBundleHash { get; set; } = "";

    public Guid RunId { get; set; }

    public DateTimeOffset ClaimedAt { get; set; }
}

/// <summary>
/// A sender-chosen run id that was deduplicated or joined onto another run (table <c>run_aliases</c>):
/// <c>GET /api/runs/{alias}</c> answers the run, and <c>RunFinished</c> is also published under the alias.
/// </summary>
public sealed class RunAlias
{
    public Guid AliasRunId { get; set; }

    public Guid RunId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// The parent whose <c>run</c> phase asked for the alias as a child, if one did: it learns the run's end as a
    /// <see cref="Children.ChildRunFinished"/>.
    /// </summary>
    public Guid? ParentRunId { get; set; }

    /// <summary>The last generation whose <c>RunFinished</c> was published under the alias.</summary>
    public int PublishedGeneration { get; set; }
}

/// <summary>
/// An <c>Idempotency-Key</c> of <c>POST /api/runs</c>, scoped to the caller's identity and kept 24 h (table
/// <c>idempotency_keys</c>): the same key with the same body answers the first answer again.
/// </summary>
public sealed class IdempotencyRecord
{
    public string Identity { get; set; } = "";

    public string Key { get; set; } = "";

    /// <summary><c>sha256</c> of the canonical request body: another body under the same key is refused (422).</summary>
    public string RequestHash { get; set; } = "";

    /// <summary>Null while the first request is still in progress (a concurrent second one gets 409).</summary>
    public int? ResponseStatus { get; set; }

    public JsonObject? ResponseBody { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class AdmissionRowsConfiguration :
    IEntityTypeConfiguration<InputBundleClaim>, IEntityTypeConfiguration<RunAlias>, IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<InputBundleClaim> claim)
    {
        claim.ToTable("input_bundle_claims");
        claim.HasKey(c => c.InputBundleHash);
        claim.Property(c => c.InputBundleHash).HasMaxLength(71);
        claim.HasIndex(c => c.RunId);
    }

    public void Configure(EntityTypeBuilder<RunAlias> alias)
    {
        alias.ToTable("run_aliases");
        alias.HasKey(a => a.AliasRunId);
        alias.HasIndex(a => a.RunId);
    }

    public void Configure(EntityTypeBuilder<IdempotencyRecord> record)
    {
        record.ToTable("idempotency_keys");
        record.HasKey(r => new { r.Identity, r.Key });
        record.Property(r => r.Identity).HasMaxLength(200);
        record.Property(r => r.Key).HasMaxLength(200);
        record.Property(r => r.RequestHash).HasMaxLength(71);
        record.Property(r => r.ResponseBody).HasJsonConversion();
        record.HasIndex(r => r.ExpiresAt);
    }
}
