using System.Diagnostics;
using System.Globalization;
using RunMesh.Reliability.Tests.Invariants;
using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.Soak;

/// <summary>
/// The soak (docs/reliability.md): a burst measures the mesh's peak rate, then runs are started at half of it for the
/// profile's duration (30 minutes in the long profile, 40 s in CI) while each service's memory and the inbox/outbox
/// tables are sampled; afterwards the invariants hold, the messaging tables have drained, and the PostgreSQL bytes
/// per completed run (events, artifacts, saga row, approvals, reports, indexes) are printed.
/// </summary>
public sealed class SoakTests(SoakTests.SoakMesh fixture, ITestOutputHelper output) : IClassFixture<SoakTests.SoakMesh>
{
    private static readonly string[] s_databases = ["orchestrator", "approval", "report"];
    private static readonly TimeSpan s_sampleEvery = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Steady_load_at_half_the_peak_rate_keeps_memory_and_messaging_tables_bounded()
    {
        var mesh = fixture.Mesh;
        var profile = ReliabilityProfile.Current;
        var clock = Stopwatch.StartNew();
        var driver = new LoadDriver(mesh);
        await using var approver = new AutoApprover(mesh);

        // The peak: a burst of steady runs at high concurrency, from the first start to the last report.
        var burst = Stopwatch.StartNew();
        var burstRuns = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => driver.StartAsync(ReliabilityTemplates.Steady)));
        await driver.WaitUntilSettledAsync(burstRuns, TimeSpan.FromSeconds(180));
        var peak = burstRuns.Length / burst.Elapsed.TotalSeconds;
        var rate = Math.Clamp(peak / 2, 0.5, profile.SoakRunsPerSecond);

        var checker = new InvariantChecker(mesh);
        var inboxCopiesBefore = await checker.InboxCopiesAsync();
        var sizesBefore = await DatabaseBytesAsync();
        var samples = new List<ResourceSample>();
        var soak = Stopwatch.StartNew();
        var starts = new List<Task<SubmittedRun>>();
        using (var pace = new PeriodicTimer(TimeSpan.FromSeconds(1 / rate)))
        {
            var index = 0;
            var nextSample = TimeSpan.Zero;
            while (soak.Elapsed < profile.SoakDuration && await pace.WaitForNextTickAsync())
            {
                starts.Add(driver.StartAsync(ReliabilityTemplates.ForRun(index++)));
                if (soak.Elapsed >= nextSample)
                {
                    samples.Add(await SampleAsync(soak.Elapsed));
                    nextSample += s_sampleEvery;
                }
            }
        }

        var soakRuns = await Task.WhenAll(starts);
        await driver.WaitUntilSettledAsync(soakRuns, profile.SettleTimeout);
        // Settled means every run ended and has its report. The last RunFinished rows leave the outbox a moment after
        // they were delivered (the delivered-marks writer removes them off the message's path), possibly after the
        // report came back: the final sample is the first with drained outboxes, within a bound.
        samples.Add(await Eventually.UntilAsync(
            () => SampleAsync(soak.Elapsed),
            sample => sample.MessagingRows.Where(kv => IsOutboxTable(kv.Key)).All(kv => kv.Value == 0),
            TimeSpan.FromSeconds(10),
            "every outbox drained once the runs settled"));

        var report = await checker.CheckAsync(soakRuns, inboxCopiesBefore: inboxCopiesBefore);
        var sizesAfter = await DatabaseBytesAsync();
        var grown = sizesAfter.ToDictionary(kv => kv.Key, kv => kv.Value - sizesBefore.GetValueOrDefault(kv.Key));
        var finished = Math.Max(1, report.Completed + report.FailedAsExpected);
        // The runs' permanent record (runs, events, approvals, reports) only grows; the messaging tables are drained and
        // vacuumed while the soak runs, so they can end smaller than they began and are checked by row count below.
        var bytesPerRun = grown.Where(kv => !IsMessagingTable(kv.Key)).Sum(kv => kv.Value) / finished;

        foreach (var sample in samples)
        {
            output.WriteLine(sample.ToString());
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak {peak:0.0} runs/s, soak at {rate:0.00} runs/s for {profile.SoakDuration.TotalSeconds:0} s"));
        foreach (var (table, bytes) in grown.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {table}: +{bytes / 1024} KiB ({bytes / finished} B per finished run)"));
        }

        var warm = samples[Math.Min(samples.Count - 1, samples.Count / 5)];
        var last = samples[^1];
        var growth = string.Join(", ", last.RssKib.Select(kv => $"{kv.Key} {warm.RssKib.GetValueOrDefault(kv.Key) / 1024}→{kv.Value / 1024} MiB"));
        ReliabilitySummary.Record(output, "soak: steady load at half the peak rate", report, 0, 0, clock.Elapsed, string.Create(
            CultureInfo.InvariantCulture,
            $"peak {peak:0.0} runs/s, rate {rate:0.00} runs/s, PostgreSQL {bytesPerRun} B per finished 3-phase run, RSS after warm-up→end: {growth}, " +
            $"max outbox_message rows {samples.Max(s => s.MessagingRows.Where(kv => kv.Key.EndsWith("outbox_message", StringComparison.Ordinal)).Sum(kv => kv.Value))}"));

        report.Violations.ShouldBeEmpty(report.ToString());
        report.Lost.ShouldBe(0);
        bytesPerRun.ShouldBeGreaterThan(0, "the runs' records were stored");
        last.MessagingRows.Where(kv => IsOutboxTable(kv.Key)).ShouldAllBe(kv => kv.Value == 0, "every outbox drained once the runs settled");
        last.MessagingRows.Where(kv => kv.Key.EndsWith("inbox_state", StringComparison.Ordinal))
            .ShouldAllBe(kv => kv.Value <= (burstRuns.Length + soakRuns.Length) * 20, "inbox rows bounded by the messages of the runs (cleanup keeps them 30 min)");
        foreach (var (service, rss) in last.RssKib)
        {
            rss.ShouldBeGreaterThan(0, $"{service} is still running");
            if (profile.SoakDuration >= TimeSpan.FromMinutes(10))
            {
                // Flat after warm-up: at most half again plus 64 MiB over the whole soak.
                rss.ShouldBeLessThanOrEqualTo((warm.RssKib.GetValueOrDefault(service) * 3 / 2) + (64 * 1024), $"{service} memory after warm-up");
            }
        }
    }

    private async Task<ResourceSample> SampleAsync(TimeSpan at)
    {
        var rss = fixture.Mesh.Services.ToDictionary(s => s.Name, s => ResourceSample.RssOf(s.ProcessId));
        var rows = new Dictionary<string, long>();
        foreach (var database in s_databases)
        {
            foreach (var table in new[] { "inbox_state", "outbox_state", "outbox_message" })
            {
                rows[$"{database}.{table}"] = await fixture.Mesh.ScalarAsync<long>(database, $"SELECT count(*) FROM {table}");
            }
        }

        return new ResourceSample(at, rss, rows);
    }

    private static bool IsMessagingTable(string table) =>
        table.EndsWith("inbox_state", StringComparison.Ordinal) || IsOutboxTable(table);

    private static bool IsOutboxTable(string table) =>
        table.EndsWith("outbox_message", StringComparison.Ordinal) || table.EndsWith("outbox_state", StringComparison.Ordinal);

    /// <summary>The bytes (table, indexes and TOAST) of every table of every service database.</summary>
    private async Task<Dictionary<string, long>> DatabaseBytesAsync()
    {
        var sizes = new Dictionary<string, long>();
        foreach (var database in s_databases)
        {
            await using var connection = await fixture.Mesh.DatabaseOf(database).OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
                "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                sizes[$"{database}.{reader.GetString(0)}"] = reader.GetInt64(1);
            }
        }

        return sizes;
    }

    /// <summary>A mesh of its own for the soak (two workers).</summary>
    public sealed class SoakMesh : IAsyncLifetime
    {
        private MeshHarness? _mesh;

        public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

        public async Task InitializeAsync() => _mesh = await ReliabilityMesh.StartAsync("relsoak", phaseWorkers: 2);

        public async Task DisposeAsync()
        {
            if (_mesh is not null)
            {
                await _mesh.DisposeAsync();
            }
        }
    }
}
