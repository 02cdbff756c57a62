using System.Globalization;
using System.Text;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Benchmarks.Runs.Peers;
using RunMesh.Benchmarks.Runs.RawChain;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// Whole runs, in one process run: N P-phase runs at C in flight on RunMesh (the whole mesh as
/// processes), on the raw-bus chain with the same hops and transactions, on Hangfire and on Rebus (each on a fresh
/// database of the same server); then RunMesh with 1 → 2 → 4 phase worker replicas and a slow executor. Prints one
/// table, writes the JSON and renders the SVG chart.
/// </summary>
internal static class RunsBenchmark
{
    private static readonly Dictionary<string, List<SampledStatement>> s_sampled = new(StringComparer.Ordinal);

    public static async Task<int> RunAsync(RunsSettings settings, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Now();
        var (phases, inFlight) = (settings.Phases, settings.Concurrency);
        Console.WriteLine(
            $"runs benchmark: {settings.Runs} runs of {phases} phases at {inFlight} in flight (after at least {settings.Warmup} warm-up runs, more until the JIT settles), " +
            $"executor {settings.ExecutorMs} ms, via {settings.Via}; scaling: {settings.ScaleRuns} runs at {settings.ScaleInFlight} in flight, " +
            $"executor {settings.ScaleExecutorMs} ms, workers {string.Join(" → ", settings.Workers)}");
        Console.WriteLine($"machine: {machine}");
        Console.WriteLine(
            $"a {phases}-phase run makes {RawChainSystem.DeliveriesPerRun(phases)} broker deliveries and " +
            $"{RawChainSystem.TransactionsPerRun(phases)} Postgres transactions: admission (tx, dispatches phase 1) → " +
            $"{phases} × [ExecutePhase → worker (no db) → PhaseSucceeded → saga (tx)] → RunFinished → report (tx) + approval (no gate: no tx) → ReportReady → saga (tx)");

        var servers = await TestServers.GetAsync();
        var comparison = new List<SystemResult>();
        var scaling = new List<SystemResult>();
        Dictionary<string, object>? profile = null;

        // The raw chain first, right before RunMesh, so the two share the machine's conditions as closely as possible.
        if (settings.Systems.Contains("raw"))
        {
            await using var raw = await RawChainSystem.StartAsync(servers, phases, settings.ExecutorMs, workerConcurrency: 4, cancellationToken);
            comparison.Add(await MeasureInProcessAsync("raw bus chain", "MassTransit, plain tx per hop", servers, settings, raw.RunOnceAsync, cancellationToken));
        }

        if (settings.Systems.Contains("runmesh") || settings.Systems.Contains("scaling"))
        {
            Console.WriteLine("starting the mesh (orchestrator, phase worker, approval, report, gateway) on fresh databases and a fresh vhost…");
            await using var mesh = await MeshSystem.StartAsync(settings);
            if (settings.Systems.Contains("runmesh"))
            {
                var template = await mesh.RegisterTemplateAsync(phases, settings.ExecutorMs);
                var (result, perRun) = await MeasureMeshAsync(mesh, servers, template, settings.Runs, settings.Warmup, Math.Max(settings.Warmup, settings.WarmupMax), inFlight, phases, settings.ExecutorMs, settings, cancellationToken);
                comparison.Insert(0, result);
                profile = await ProfileTransitionAsync(mesh, servers, settings, perRun, cancellationToken);
            }

            if (settings.Systems.Contains("scaling"))
            {
                var slow = await mesh.RegisterTemplateAsync(phases, settings.ScaleExecutorMs);
                var fast = await mesh.RegisterTemplateAsync(phases, 0);
                foreach (var workers in settings.Workers)
                {
                    await mesh.ScaleWorkersAsync(workers);
                    var label = $"{workers} worker{(workers == 1 ? "" : "s")} × 4";
                    Console.WriteLine($"scaling: {label}");

                    // New replicas start cold: warm them on the 0 ms executor (the same code, many times faster) until
                    // the JIT settles, then fill the pipeline with slow runs before measuring.
                    await JitSettledWarmup.RunAsync(
                        label, Math.Min(settings.Warmup, 100), Math.Max(settings.Warmup, settings.WarmupMax), settings.Concurrency,
                        async (_, token) => { await mesh.RunOnceAsync(fast, token); return null; },
                        () => MeshProfile.JitCompiledMethodsAsync(mesh.Mesh), cancellationToken);
                    await ClosedLoad.RunAsync($"warm-up {label}", Math.Max(settings.ScaleInFlight / 2, 4), settings.ScaleInFlight,
                        async (_, token) => { await mesh.RunOnceAsync(slow, token); return null; }, cancellationToken);
                    var (result, _) = await MeasureMeshAsync(mesh, servers, slow, settings.ScaleRuns, 0, 0, settings.ScaleInFlight, phases, settings.ScaleExecutorMs, settings, cancellationToken, label, profile: false);
                    scaling.Add(result with { System = "RunMesh scaling" });
                }
            }
        }

        if (settings.Systems.Contains("hangfire"))
        {
            await using var hangfire = await HangfireSystem.StartAsync(servers, phases, settings.ExecutorMs);
            comparison.Add(await MeasureInProcessAsync("Hangfire", $"continuations, {HangfireSystem.WorkerCount} workers, long polling", servers, settings, hangfire.RunOnceAsync, cancellationToken));
        }

        if (settings.Systems.Contains("rebus"))
        {
            await using var rebus = await RebusSystem.StartAsync(servers, phases, settings.ExecutorMs, workerConcurrency: 4);
            comparison.Add(await MeasureInProcessAsync("Rebus", "saga + PostgreSQL transport", servers, settings, rebus.RunOnceAsync, cancellationToken));
        }

        var summary = Table(comparison, scaling);
        Console.WriteLine();
        Console.WriteLine(summary);
        var finished = MachineInfo.LoadAverageNow();
        Console.WriteLine($"load average at the end: {finished}");
        await ResultsFile.WriteAsync(settings.Out, new
        {
            benchmark = "runs",
            startedOn = machine,
            loadAverageAtEnd = finished,
            settings,
            hopsPerRun = new { brokerDeliveries = RawChainSystem.DeliveriesPerRun(phases), postgresTransactions = RawChainSystem.TransactionsPerRun(phases) },
            comparison,
            scaling,
            profile,
            orchestratorStatements = s_sampled,
        });
        if (settings.Chart is not null)
        {
            var path = Path.GetFullPath(settings.Chart);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var subtitle = $"{phases}-phase mock runs, {inFlight} in flight, via {settings.Via}; {machine.Cores} cores, load average {machine.LoadAverage}";
            await File.WriteAllTextAsync(path, RunsChart.Render(comparison, scaling, subtitle), cancellationToken);
            Console.WriteLine($"Chart written to {path}");
        }

        return comparison.Concat(scaling).Any(r => r.Failures > 0) ? 1 : 0;
    }

    private static async Task<SystemResult> MeasureInProcessAsync(
        string system, string detail, TestServers servers, RunsSettings settings, Func<CancellationToken, Task<double?>> runOnce, CancellationToken cancellationToken)
    {
        var warmupRuns = await JitSettledWarmup.RunAsync(
            system, settings.Warmup, Math.Max(settings.Warmup, settings.WarmupMax), settings.Concurrency, (_, token) => runOnce(token),
            JitSettledWarmup.InThisProcess, cancellationToken);

        var cpu = await CpuMeter.StartAsync(servers);
        var cpuBefore = cpu.Total();
        var outcome = await ClosedLoad.RunAsync(system, settings.Runs, settings.Concurrency, (_, token) => runOnce(token), cancellationToken);
        var cpuUsed = cpu.Total() - cpuBefore;
        var result = SystemResult.From(system, detail, settings.Phases, settings.Concurrency, settings.ExecutorMs, outcome,
            outcome.Latencies.OfType<double>().ToList());
        result = result with { CpuMsPerRun = CpuPerRun(cpuUsed, outcome), WarmupRuns = warmupRuns };
        Console.WriteLine($"    → {Describe(result)}");
        return result;
    }

    /// <summary>
    /// What the orchestrator's database connections sit on, sampled from <c>pg_stat_activity</c> every 10 ms during a batch
    /// of its own after the measured one: each sample is a query that costs PostgreSQL about a millisecond, so sampling
    /// during the measured batch would take CPU from RunMesh alone and count it as RunMesh's.
    /// </summary>
    private static async Task SampleStatementsAsync(
        MeshSystem mesh, TestServers servers, string template, int runs, int inFlight, string label, CancellationToken cancellationToken)
    {
        await using var sampler = await StatementSampler.StartAsync(servers.PostgresAdmin, mesh.Mesh.DatabaseOf("orchestrator").Name);
        await ClosedLoad.RunAsync($"{label}, sampled", runs, inFlight, async (_, token) =>
        {
            await mesh.RunOnceAsync(template, token);
            return null;
        }, cancellationToken);
        var sampled = await sampler.StopAsync();
        Console.WriteLine("    orchestrator database, sampled every 10 ms in a batch of its own (average backends · state · wait · statement):");
        foreach (var statement in sampled)
        {
            Console.WriteLine($"      {statement}");
        }

        s_sampled[label] = sampled;
    }

    /// <summary>One measured batch on the mesh, with the profile counters taken around it (after they settled).</summary>
    private static async Task<(SystemResult Result, SortedDictionary<string, double>? PerRun)> MeasureMeshAsync(
        MeshSystem mesh, TestServers servers, string template, int runs, int warmup, int warmupMax, int inFlight, int phases, int executorMs, RunsSettings settings,
        CancellationToken cancellationToken, string? detail = null, bool profile = true)
    {
        var warmupRuns = await JitSettledWarmup.RunAsync(
            "RunMesh", warmup, warmupMax, inFlight, async (_, token) => { await mesh.RunOnceAsync(template, token); return null; },
            () => MeshProfile.JitCompiledMethodsAsync(mesh.Mesh), cancellationToken);

        MeshProfile? before = null;
        MeshProfile? idle = null;
        if (profile)
        {
            // Two settled snapshots with nothing running give the background rate (scans, pollers) to take out.
            await Task.Delay(MeshProfile.SettleTime, cancellationToken);
            idle = await MeshProfile.TakeAsync(mesh.Mesh, servers, mesh.Completions.Deliveries);
            await Task.Delay(MeshProfile.SettleTime, cancellationToken);
            before = await MeshProfile.TakeAsync(mesh.Mesh, servers, mesh.Completions.Deliveries);
        }

        var runIds = new Guid[runs];
        var cpu = await CpuMeter.StartAsync(servers, () => mesh.Mesh.Services.Select(s => s.ProcessId));
        var cpuBefore = cpu.Total();
        var outcome = await ClosedLoad.RunAsync(detail is null ? "RunMesh" : $"RunMesh {detail}", runs, inFlight, async (index, token) =>
        {
            runIds[index] = await mesh.RunOnceAsync(template, token);
            return null;
        }, cancellationToken);
        var cpuUsed = cpu.Total() - cpuBefore;

        SortedDictionary<string, double>? perRun = null;
        if (before is not null)
        {
            await Task.Delay(MeshProfile.SettleTime, cancellationToken);
            perRun = MeshProfile.PerRun(before, await MeshProfile.TakeAsync(mesh.Mesh, servers, mesh.Completions.Deliveries), runs, idle);
            await SampleStatementsAsync(mesh, servers, template, Math.Min(runs, 200), inFlight, detail ?? "RunMesh", cancellationToken);
        }

        var (latencies, timeline) = await mesh.LatenciesAsync(runIds.Where(id => id != Guid.Empty).ToList(), cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    timeline (medians): admission → saga start {timeline.AdmissionToStartMs} ms, phase dispatch → result applied {timeline.PhaseDispatchToResultMs} ms, last result → completed {timeline.LastResultToCompletedMs} ms"));
        var result = SystemResult.From("RunMesh", detail ?? $"via {settings.Via}, 1 worker × 4", phases, inFlight, executorMs, outcome, latencies)
            with
        { Timeline = timeline, CpuMsPerRun = CpuPerRun(cpuUsed, outcome), WarmupRuns = warmupRuns };
        Console.WriteLine($"    → {Describe(result)}");
        return (result, perRun);
    }

    /// <summary>
    /// What one phase transition costs: the counters per run of P-phase runs (measured above) against 1-phase runs;
    /// the difference divided by P − 1 is the cost of one more phase (ExecutePhase → worker → PhaseSucceeded → saga).
    /// </summary>
    private static async Task<Dictionary<string, object>> ProfileTransitionAsync(
        MeshSystem mesh, TestServers servers, RunsSettings settings, SortedDictionary<string, double>? perRun, CancellationToken cancellationToken)
    {
        var profile = new Dictionary<string, object> { ["perRun"] = perRun ?? [] };
        Print($"profile: per {settings.Phases}-phase run", perRun);
        if (settings.Phases < 2 || perRun is null)
        {
            return profile;
        }

        var single = await mesh.RegisterTemplateAsync(1, settings.ExecutorMs);
        var (_, perSingleRun) = await MeasureMeshAsync(mesh, servers, single, Math.Min(settings.Runs, 100), 0, 0, settings.Concurrency, 1, settings.ExecutorMs, settings, cancellationToken, "1-phase (profile)");
        Print("profile: per 1-phase run", perSingleRun);
        var perPhase = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var key in perRun.Keys.Union(perSingleRun!.Keys))
        {
            perPhase[key] = Math.Round((perRun.GetValueOrDefault(key) - perSingleRun.GetValueOrDefault(key)) / (settings.Phases - 1), 2);
        }

        Print("profile: per phase transition (difference ÷ (P − 1))", perPhase);
        profile["perSinglePhaseRun"] = perSingleRun;
        profile["perPhaseTransition"] = perPhase;
        return profile;
    }

    private static void Print(string title, SortedDictionary<string, double>? counters)
    {
        Console.WriteLine(title);
        // The JSON keeps every counter; the console shows round trips, transactions, messages.
        foreach (var (key, value) in (counters ?? []).Where(c =>
            c.Key.Contains("operation_duration_seconds_count", StringComparison.Ordinal) || c.Key.Contains("xact_commit", StringComparison.Ordinal) ||
            c.Key.EndsWith("_ea_total", StringComparison.Ordinal) || c.Key.StartsWith("broker.", StringComparison.Ordinal)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {key,-70} {value,10:F2}"));
        }
    }

    private static double? CpuPerRun(TimeSpan used, LoadOutcome outcome) =>
        outcome.Runs - outcome.Failures is var completed and > 0 ? Math.Round(used.TotalMilliseconds / completed, 1) : null;

    private static string Describe(SystemResult r) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{r.RunsPerSecond:F1} runs/s, {r.PhasesPerSecond:F0} phases/s, p50 {r.P50Ms:F1} ms, p95 {r.P95Ms:F1} ms, p99 {r.P99Ms:F1} ms, {r.CpuMsPerRun:F1} ms CPU per run, {r.Failures} failed");

    private static string Table(List<SystemResult> comparison, List<SystemResult> scaling)
    {
        var raw = comparison.FirstOrDefault(r => r.System == "raw bus chain");
        var runMesh = comparison.FirstOrDefault(r => r.System == "RunMesh");
        string Ratio(SystemResult r, SystemResult? baseline) =>
            baseline is null || baseline.RunsPerSecond <= 0 ? "–" : (r.RunsPerSecond / baseline.RunsPerSecond).ToString("P0", CultureInfo.InvariantCulture);

        var table = new StringBuilder();
        table.AppendLine("| system | setup | runs | in flight | runs/s | phases/s | p50 ms | p95 ms | p99 ms | CPU ms/run | vs raw bus | vs RunMesh | failed |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in comparison)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.System} | {r.Detail} | {r.Runs} | {r.InFlight} | {r.RunsPerSecond:F1} | {r.PhasesPerSecond:F0} | {r.P50Ms:F1} | {r.P95Ms:F1} | {r.P99Ms:F1} | {r.CpuMsPerRun:F1} | {Ratio(r, raw)} | {Ratio(r, runMesh)} | {r.Failures} |");
        }

        var one = scaling.Count > 0 ? scaling[0] : null;
        foreach (var r in scaling)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| RunMesh, {r.ExecutorMs} ms executor | {r.Detail} | {r.Runs} | {r.InFlight} | {r.RunsPerSecond:F1} | {r.PhasesPerSecond:F0} | {r.P50Ms:F1} | {r.P95Ms:F1} | {r.P99Ms:F1} | {r.CpuMsPerRun:F1} | – | {Ratio(r, one)} of 1 worker | {r.Failures} |");
        }

        return table.ToString();
    }
}
