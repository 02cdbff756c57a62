using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using RunMesh.Hosting.Database;

namespace RunMesh.Integration.Tests.Hosting;

/// <summary>How every service's DbContext talks to PostgreSQL (<see cref="ServiceDbContextOptions"/>), on a real server.</summary>
public sealed class ServiceDatabaseOptionsTests
{
    [Fact]
    public void Prepares_statements_and_skips_the_reset_by_default()
    {
        var builder = new NpgsqlConnectionStringBuilder(ServiceDbContextOptions.ServiceConnectionString("Host=127.0.0.1;Database=x"));

        builder.MaxAutoPrepare.ShouldBe(ServiceDbContextOptions.AutoPreparedStatements);
        builder.NoResetOnClose.ShouldBeTrue();
    }

    [Theory]
    [InlineData("Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("maxautoprepare=0;NORESETONCLOSE=false")]
    public void Keeps_what_the_connection_string_sets(string settings)
    {
        var builder = new NpgsqlConnectionStringBuilder(ServiceDbContextOptions.ServiceConnectionString($"Host=127.0.0.1;Database=x;{settings}"));

        builder.MaxAutoPrepare.ShouldBe(0);
        builder.NoResetOnClose.ShouldBeFalse();
    }

    [Fact]
    public async Task A_statement_run_on_every_checkout_is_prepared_once_and_survives_the_return_to_the_pool()
    {
        await using var database = await IsolatedDatabase.CreateAsync(await TestServers.GetAsync(), "service_db_options");
        var options = new DbContextOptionsBuilder<ProbeDbContext>().UseServiceDatabase(database.ConnectionString).Options;

        // Each pass checks a connection out of the pool and returns it, as each consumed message does.
        for (var pass = 0; pass < 8; pass++)
        {
            await using var db = new ProbeDbContext(options);
            (await db.Database.SqlQueryRaw<int>("SELECT 40 + 2 AS \"Value\"").SingleAsync()).ShouldBe(42);
        }

        await using var probe = new ProbeDbContext(options);
        var prepared = await probe.Database
            .SqlQueryRaw<string>("SELECT statement AS \"Value\" FROM pg_prepared_statements WHERE statement LIKE '%40 + 2%'")
            .ToListAsync();
        prepared.Count.ShouldBe(1, "the statement was prepared on the pooled connection and not discarded on its return");
    }

    [Fact]
    public async Task SaveChanges_in_a_transaction_sets_no_savepoint()
    {
        await using var database = await IsolatedDatabase.CreateAsync(await TestServers.GetAsync(), "service_db_savepoints");
        await using (var connection = await database.OpenAsync())
        {
            await using var create = new NpgsqlCommand("CREATE TABLE notes (id integer PRIMARY KEY, text text NOT NULL)", connection);
            await create.ExecuteNonQueryAsync();
        }

        var withServiceOptions = new SavepointCounter();
        await SaveInTransactionAsync(new DbContextOptionsBuilder<ProbeDbContext>()
            .UseServiceDatabase(database.ConnectionString).AddInterceptors(withServiceOptions).Options, id: 1);
        var plainEfCore = new SavepointCounter();
        await SaveInTransactionAsync(new DbContextOptionsBuilder<ProbeDbContext>()
            .UseNpgsql(database.ConnectionString).AddInterceptors(plainEfCore).Options, id: 2);

        withServiceOptions.Created.ShouldBe(0);
        plainEfCore.Created.ShouldBe(1, "EF Core's default, which the service options turn off");
    }

    private static async Task SaveInTransactionAsync(DbContextOptions options, int id)
    {
        await using var db = new ProbeDbContext(options);
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Notes.Add(new Note { Id = id, Text = "saved" });
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        (await db.Notes.AsNoTracking().CountAsync(n => n.Id == id)).ShouldBe(1);
    }

    private sealed class ProbeDbContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Note> Notes => Set<Note>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Note>(note =>
            {
                note.ToTable("notes");
                note.Property(n => n.Id).HasColumnName("id").ValueGeneratedNever();
                note.Property(n => n.Text).HasColumnName("text");
            });
    }

    private sealed class Note
    {
        public int Id { get; set; }

        public required string Text { get; set; }
    }

    private sealed class SavepointCounter : DbTransactionInterceptor
    {
        public int Created { get; private set; }

        public override ValueTask<InterceptionResult> CreatingSavepointAsync(
            DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            Created++;
            return ValueTask.FromResult(result);
        }
    }
}
