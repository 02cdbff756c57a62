using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>The test service's own database: a ledger the consumers write, a counter saga, and the inbox/outbox tables.</summary>
public sealed class LedgerDbContext(DbContextOptions<LedgerDbContext> options) : DbContext(options)
{
    public DbSet<LedgerEntry> Entries => Set<LedgerEntry>();

    public DbSet<CounterState> Counters => Set<CounterState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
        modelBuilder.Entity<LedgerEntry>(entry =>
        {
            entry.ToTable("ledger_entry");
            entry.HasKey(x => x.Id);
            entry.Property(x => x.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<CounterState>(counter =>
        {
            counter.ToTable("counter_state");
            counter.HasKey(x => x.CorrelationId);
            counter.Property(x => x.CurrentState).HasMaxLength(64);
            counter.HasIndex(x => x.Name);
            counter.Property(x => x.RowVersion).IsRowVersion();
        });
    }
}

/// <summary>One effect of a consumer: a row per handled deposit (no unique key, so a second run would show).</summary>
public sealed class LedgerEntry
{
    public long Id { get; set; }

    public Guid AccountId { get; set; }

    public decimal Amount { get; set; }
}

/// <summary>The counter saga's row.</summary>
public sealed class CounterState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = "";

    public int Count { get; set; }

    public string? Name { get; set; }

    public uint RowVersion { get; set; }
}
