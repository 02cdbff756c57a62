using Microsoft.EntityFrameworkCore;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>A service-like database: the counter rows the consumer updates, and the inbox/outbox tables.</summary>
public sealed class BenchmarkDbContext(DbContextOptions<BenchmarkDbContext> options) : DbContext(options)
{
    public const int RowCount = 1000;

    public DbSet<CounterRow> Counters => Set<CounterRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddPostgresOutboxEntities();
        modelBuilder.Entity<CounterRow>(row =>
        {
            row.ToTable("counter_row");
            row.HasKey(x => x.Id);
            row.Property(x => x.Id).ValueGeneratedNever();
        });
    }
}

/// <summary>One of <see cref="BenchmarkDbContext.RowCount"/> rows; each message adds a hit to one of them.</summary>
public sealed class CounterRow
{
    public int Id { get; set; }

    public long Hits { get; set; }

    public DateTime UpdatedAt { get; set; }
}
