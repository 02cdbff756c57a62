using System.Diagnostics;
using RunMesh.Reliability.Tests.Invariants;

namespace RunMesh.Reliability.Tests.Load;

/// <summary>
/// Starts a mesh for the suite (the gateway's rate limit lifted, since the load and the approver are one client each;
/// workers running 8 executions at once) with the templates registered, and runs one fault scenario on it: load in
/// flight, the fault, the runs settled, the invariants checked and the summary recorded.
/// </summary>
public static class ReliabilityMesh
{
    /// <summary>Starts a mesh named after <paramref name="purpose"/> with <paramref name="phaseWorkers"/> workers.</summary>
    public static async Task<MeshHarness> StartAsync(
        string purpose, int phaseWorkers = 1, IReadOnlyDictionary<string, string>? backends = null, TestServers? servers = null)
    {
        var settings = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            // The load comes from 127.0.0.1: neither the per-key nor the per-address limit may throttle it.
            ["gateway"] = new Dictionary<string, string>
            {
                ["Gateway:RateLimit:PermitsPerMinute"] = "1000000",
                ["Gateway:RateLimit:PerClientAddress:PermitsPerSecond"] = "0",
            },
            ["phase-worker"] = new Dictionary<string, string> { ["PhaseWorker:ConcurrentExecutions"] = "8" },
        };
        if (backends is not null)
        {
            settings[MeshHarness.AllBackends] = backends;
        }

        var mesh = await MeshHarness.StartAsync(purpose, phaseWorkers, settings, servers);
        try
        {
            await mesh.RegisterTemplatesAsync(ReliabilityTemplates.All);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Submits the profile's runs and, while they are in flight, calls <paramref name="fault"/> (which waits for its
    /// own moment and returns how many faults it injected); then waits until every run settled, checks the
    /// invariants, records the summary and fails on any violation.
    /// </summary>
    public static async Task<InvariantReport> RunUnderFaultAsync(
        MeshHarness mesh, ITestOutputHelper output, string test, Func<LoadDriver, Task<int>> fault,
        Func<IReadOnlyCollection<string>>? allowedPoison = null)
    {
        var profile = ReliabilityProfile.Current;
        var clock = Stopwatch.StartNew();
        var driver = new LoadDriver(mesh);
        var checker = new InvariantChecker(mesh);
        var inboxCopiesBefore = await checker.InboxCopiesAsync();
        int faults;
        await using (var approver = new AutoApprover(mesh))
        {
            var submitting = driver.SubmitAsync(profile.RunsPerFault, profile.InFlight);
            try
            {
                faults = await fault(driver);
            }
            finally
            {
                await submitting;
            }

            await driver.WaitUntilSettledAsync(driver.Runs, profile.SettleTimeout);
        }

        var report = await checker.CheckAsync(driver.Runs, allowedPoison?.Invoke(), inboxCopiesBefore);
        ReliabilitySummary.Record(output, test, report, faults, 0, clock.Elapsed, $"starts sent again {driver.RetriedStarts}");
        report.Submitted.ShouldBe(profile.RunsPerFault);
        report.Violations.ShouldBeEmpty(report.ToString());
        report.Lost.ShouldBe(0);
        report.Completed.ShouldBeGreaterThan(0);
        return report;
    }

    /// <summary>
    /// Waits until a third of the profile's runs were accepted and <paramref name="worker"/> (any worker when null) has
    /// started executing phases of this load's runs — so a fault injected next meets phases in flight.
    /// </summary>
    public static Task LoadInFlightAsync(MeshHarness mesh, LoadDriver driver, ServiceProcess? worker = null) =>
        Eventually.UntilAsync(
            () => Task.FromResult(driver.Runs.Count >= ReliabilityProfile.Current.RunsPerFault / 3 && ExecutingThisLoad(mesh, driver, worker)),
            TimeSpan.FromSeconds(120),
            "a third of the runs accepted and their phases executing",
            () => $"{driver.Runs.Count} accepted{Environment.NewLine}{mesh.LogTails(15)}");

    private static bool ExecutingThisLoad(MeshHarness mesh, LoadDriver driver, ServiceProcess? worker)
    {
        var recent = driver.Runs.TakeLast(20).Select(r => r.RunId.ToString()).ToList();
        return (worker is null ? mesh.Services.Where(s => s.Project == "PhaseWorker") : [worker])
            .Select(w => w.LogLinesContaining("Executing "))
            .Any(lines => recent.Any(id => lines.Contains(id, StringComparison.Ordinal)));
    }
}
