using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Benchmarks.Runs;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Studies;

/// <summary>
/// One large study on a mesh of processes (docs/studies.md): N runs of a one-phase 0 ms mock template as a grid
/// (<see cref="StudyGrid"/>), <c>parallelism</c> runs in flight, started with one <c>POST /api/studies</c> through a
/// gateway without rate limit. Every second it samples the planner's resident memory and the CPU of every process
/// (<see cref="MeshProcesses"/>) with the study's counts; once the study is completed and every run has its report, it
/// checks that none was lost (<see cref="StudyRuns"/>) and prints the planner's memory (start, peak, end) and its CPU
/// per run against the rest of the mesh's (the target is below <see cref="TargetRatio"/>).
/// </summary>
internal static class StudyBenchmark
{
    public const double TargetRatio = 0.15;

    private const string MeasuredLabel = "measured";

    private static readonly TimeSpan s_sample = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_progress = TimeSpan.FromSeconds(5);

    /// <summary>No run ending for this long means the study is stuck, not slow.</summary>
    private static readonly TimeSpan s_stuck = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(StudySettings settings, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Now();
        var grid = StudyGrid.Of(settings.Runs);
        Console.WriteLine(
            $"study benchmark: one study of {grid.Runs} runs ({grid}) of one 0 ms mock phase, parallelism {settings.Parallelism}, " +
            $"after a warm-up study of {settings.Warmup} runs");
        Console.WriteLine($"machine: {machine}");
        Console.WriteLine("starting the mesh (orchestrator, phase worker × 16, approval, report, planner, gateway without rate limit) on fresh databases and a fresh vhost…");
        await using var mesh = await MeshSystem.StartMeshAsync("bench_study", workerConcurrency: 16);
        var client = await MeshSystem.UnthrottledGatewayClientAsync(mesh);
        // Admission writes the whole plan (one row per run) before it answers: 10,000 rows may outlast the default 30 s on a busy machine.
        client.Timeout = TimeSpan.FromMinutes(5);
        var (template, templateText) = MeshSystem.MockTemplate(phases: 1, latencyMs: 0);
        await mesh.RegisterTemplatesAsync(templateText);
        var processes = await MeshProcesses.FindAsync(mesh, await TestServers.GetAsync());

        if (settings.Warmup > 0)
        {
            // JIT, pools and caches of every process settle first, so the measured study's start memory is a working planner's.
            var warmupGrid = StudyGrid.Of(settings.Warmup);
            var warmup = await WatchAsync(mesh, client, processes, warmupGrid, template, "bench-study-warmup", "warmup", settings.Parallelism, print: false, cancellationToken);
            await Eventually.UntilAsync(async () => await StudyRuns.WithoutReportAsync(mesh, warmup.StudyId) == 0,
                TimeSpan.FromMinutes(5), $"every run of the warm-up study {warmup.StudyId} to have its report");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warm-up study ({warmupGrid}): {warmup.Final.Completed} of {warmupGrid.Runs} completed in {warmup.WallSeconds:F1} s"));
        }

        var watched = await WatchAsync(mesh, client, processes, grid, template, $"bench-study-{grid.Runs}", MeasuredLabel, settings.Parallelism, print: true, cancellationToken);
        var studyId = watched.StudyId;

        // The report service's share of a run ends with its report: wait for every one before the last CPU reading.
        await Eventually.UntilAsync(async () => await StudyRuns.WithoutReportAsync(mesh, studyId) == 0,
            TimeSpan.FromMinutes(5), $"every run of study {studyId} to have its report");
        var end = Sample(processes, watched.Final, watched.Started);
        watched.Samples.Add(end);

        var details = await client.GetFromJsonAsync<JsonObject>($"/api/studies/{studyId}", cancellationToken);
        var counts = details!["counts"]!.AsObject();
        var runs = await StudyRuns.ReadAsync(mesh, studyId);
        var noneLost = details["state"]!.GetValue<string>() == "completed"
            && counts["completed"]!.GetValue<int>() == grid.Runs
            && new[] { "pending", "running", "failed", "cancelled" }.All(c => counts[c]!.GetValue<int>() == 0)
            && runs.NoneLost(grid.Runs);

        var result = Result(grid, processes, watched, end, noneLost);
        Console.WriteLine();
        Console.WriteLine($"study {studyId}: {details["state"]}, counts {counts.ToJsonString()}");
        Console.WriteLine($"{runs}");
        Console.WriteLine(noneLost ? $"none lost: {grid.Runs} of {grid.Runs} completed, one run each." : "RUNS LOST OR NOT COMPLETED: see above.");
        Console.WriteLine();
        Print(result);
        var finished = MachineInfo.LoadAverageNow();
        Console.WriteLine($"load average at the end: {finished}");
        await ResultsFile.WriteAsync(settings.Out, new
        {
            benchmark = "study",
            startedOn = machine,
            loadAverageAtEnd = finished,
            settings,
            grid = new { grid.Conditions, grid.Replicates, grid.Runs },
            studyId,
            counts,
            runs,
            noneLost,
            result,
            samples = watched.Samples,
        });
        return noneLost ? 0 : 1;
    }

    /// <summary>
    /// Starts the study and samples every second until it has ended (any state but <c>running</c>); prints a progress
    /// line every 5 s when <paramref name="print"/>. A study that ends other than completed, makes no progress for
    /// <see cref="s_stuck"/>, or outlasts a generous timeout throws with the planner's log tail.
    /// </summary>
    private static async Task<WatchedStudy> WatchAsync(
        MeshHarness mesh, HttpClient client, MeshProcesses processes, StudyGrid grid, string template, string name, string label, int parallelism, bool print,
        CancellationToken cancellationToken)
    {
        var definition = grid.Definition(name, template, parallelism, label);
        var timeout = TimeSpan.FromMinutes(Math.Max(5, grid.Runs * 30.0 / 10_000));
        var samples = new List<StudySample>();
        var started = Stopwatch.GetTimestamp();
        samples.Add(Sample(processes, StudyCounts.None, started));

        using var response = await client.PostAsJsonAsync("/api/studies", definition, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /api/studies answered {(int)response.StatusCode}: {text}");
        }

        var admittedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var plan = JsonNode.Parse(text)!;
        var studyId = Guid.Parse(plan["studyId"]!.GetValue<string>());
        if (plan["plannedRuns"]!.GetValue<int>() != grid.Runs)
        {
            throw new InvalidOperationException($"study {studyId} planned {plan["plannedRuns"]} runs, not {grid.Runs}.");
        }

        if (print)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"study {studyId} started: {grid.Runs} runs planned, POST answered 202 after {admittedSeconds:F2} s; sampling every {s_sample.TotalSeconds:F0} s"));
        }

        using var timer = new PeriodicTimer(s_sample);
        var lastPrint = samples[0];
        var lastProgress = (Ended: 0, At: started);
        while (true)
        {
            await timer.WaitForNextTickAsync(cancellationToken);
            var counts = await CountsAsync(mesh, client, studyId, cancellationToken);
            var sample = Sample(processes, counts, started);
            samples.Add(sample);
            if (counts.Ended != lastProgress.Ended)
            {
                lastProgress = (counts.Ended, Stopwatch.GetTimestamp());
            }

            if (print && (sample.Seconds - lastPrint.Seconds >= s_progress.TotalSeconds || counts.State != "running"))
            {
                Console.WriteLine(Progress(sample, lastPrint));
                lastPrint = sample;
            }

            if (counts.State != "running")
            {
                var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
                return counts.State == "completed"
                    ? new WatchedStudy(studyId, started, admittedSeconds, wall, counts, samples)
                    : throw new InvalidOperationException($"study {studyId} ended {counts.State}: {counts}{Environment.NewLine}{mesh.Service(MeshProcesses.Planner).LogTail(40)}");
            }

            if (Stopwatch.GetElapsedTime(lastProgress.At) > s_stuck || Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException(
                    $"study {studyId} is stuck or too slow after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s: {counts} " +
                    $"(no run ended for {Stopwatch.GetElapsedTime(lastProgress.At).TotalSeconds:F0} s){Environment.NewLine}{mesh.LogTails(30)}");
            }
        }
    }

    /// <summary>
    /// The study's state and counts from the list (<c>GET /api/studies</c>, newest first; the mesh's planner holds only
    /// the benchmark's studies): it reads the studies' rows alone, where <c>GET /api/studies/{studyId}</c> reads every run's
    /// row for the per-condition statistics — once a second over 10,000 rows, that would charge the planner for the
    /// benchmark's own reading.
    /// </summary>
    private static async Task<StudyCounts> CountsAsync(MeshHarness mesh, HttpClient client, Guid studyId, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync("/api/studies?limit=10", cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /api/studies answered {(int)response.StatusCode}: {text}{Environment.NewLine}{mesh.Service(MeshProcesses.Planner).LogTail(60)}");
        }

        var study = JsonNode.Parse(text)!["items"]!.AsArray().Single(s => s!["studyId"]!.GetValue<string>() == studyId.ToString())!;
        var counts = study["counts"]!;
        int Count(string name) => counts[name]!.GetValue<int>();
        return new StudyCounts(
            study["state"]!.GetValue<string>(), Count("pending"), Count("running"), Count("completed"), Count("failed"), Count("cancelled"));
    }

    private static StudySample Sample(MeshProcesses processes, StudyCounts counts, long started) => new(
        Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2), counts.Completed, counts.Failed, counts.Cancelled, counts.Running, counts.Pending,
        ProcessMemory.ResidentMiB(processes.PlannerId), processes.CpuMs());

    private static string Progress(StudySample now, StudySample previous)
    {
        var window = now.Seconds - previous.Seconds;
        var rate = now.Seconds > 0 ? now.Completed / now.Seconds : 0;
        var recent = window > 0 ? (now.Completed - previous.Completed) / window : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"  {now.Seconds,6:F1} s: completed {now.Completed}, failed {now.Failed}, cancelled {now.Cancelled}, in flight {now.Running}, pending {now.Pending}; " +
            $"{rate:F1} runs/s ({recent:F1} in the last {window:F0} s); planner RSS {now.PlannerRssMiB:F0} MiB");
    }

    /// <summary>The measured window: from just before the POST to the last reading, after every run's report.</summary>
    private static StudyResult Result(StudyGrid grid, MeshProcesses processes, WatchedStudy watched, StudySample end, bool noneLost)
    {
        var start = watched.Samples[0];
        var perProcess = end.CpuMs.Keys
            .Select(name => new ProcessCost(name, Math.Round(end.CpuMs[name] - start.CpuMs.GetValueOrDefault(name), 0),
                Math.Round((end.CpuMs[name] - start.CpuMs.GetValueOrDefault(name)) / grid.Runs, 3)))
            .OrderByDescending(p => p.CpuMs)
            .ToList();
        var servers = processes.ServersMeasured;
        var rest = perProcess.Where(p => p.Process is not (MeshProcesses.Planner or MeshProcesses.Benchmark)).ToList();
        var restServices = rest.Where(p => !servers.Contains(p.Process)).ToList();
        var planner = perProcess.Single(p => p.Process == MeshProcesses.Planner).CpuMsPerRun;
        var restPerRun = Math.Round(rest.Sum(p => p.CpuMsPerRun), 3);
        var servicesPerRun = Math.Round(restServices.Sum(p => p.CpuMsPerRun), 3);
        var rss = watched.Samples.Select(s => s.PlannerRssMiB).OfType<double>().ToList();
        return new StudyResult(
            Math.Round(watched.WallSeconds, 1),
            Math.Round(watched.AdmittedSeconds, 2),
            Math.Round(grid.Runs / watched.WallSeconds, 1),
            new PlannerMemory(start.PlannerRssMiB, rss.Count > 0 ? rss.Max() : null, end.PlannerRssMiB),
            planner,
            restPerRun,
            [.. rest.Select(p => p.Process)],
            restPerRun > 0 ? Math.Round(planner / restPerRun, 3) : null,
            servicesPerRun,
            servicesPerRun > 0 ? Math.Round(planner / servicesPerRun, 3) : null,
            TargetRatio,
            Math.Round(end.Seconds, 1),
            perProcess,
            noneLost);
    }

    private static void Print(StudyResult r)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wall time {r.WallSeconds} s (POST → completed seen, sampled every second; the POST itself {r.AdmissionSeconds} s): {r.RunsPerSecond} runs/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"planner RSS: start {r.PlannerRssMiB.StartMiB} MiB, peak {r.PlannerRssMiB.PeakMiB} MiB, end {r.PlannerRssMiB.EndMiB} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per run over {r.CpuWindowSeconds} s (POST → the last run's report): planner {r.PlannerCpuMsPerRun} ms; " +
            $"the rest of the mesh {r.RestCpuMsPerRun} ms ({string.Join(" + ", r.RestIncludes)})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"planner ÷ rest = {r.PlannerToRest} (target < {r.Target}); planner ÷ the services alone ({r.ServicesCpuMsPerRun} ms, no servers) = {r.PlannerToServices}"));
        Console.WriteLine();
        Console.WriteLine("| process | CPU ms | CPU ms per run |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var p in r.Processes)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {p.Process} | {p.CpuMs} | {p.CpuMsPerRun} |"));
        }
    }

    private sealed record WatchedStudy(Guid StudyId, long Started, double AdmittedSeconds, double WallSeconds, StudyCounts Final, List<StudySample> Samples);
}

/// <summary>A study's state and counts as the planner's list shows them.</summary>
internal sealed record StudyCounts(string State, int Pending, int Running, int Completed, int Failed, int Cancelled)
{
    public static readonly StudyCounts None = new("running", 0, 0, 0, 0, 0);

    public int Ended => Completed + Failed + Cancelled;

    public override string ToString() =>
        $"{State}: pending {Pending}, running {Running}, completed {Completed}, failed {Failed}, cancelled {Cancelled}";
}

/// <summary>One reading: seconds since the POST, the study's counts, the planner's RSS and the CPU used so far (ms) per process.</summary>
internal sealed record StudySample(
    double Seconds, int Completed, int Failed, int Cancelled, int Running, int Pending, double? PlannerRssMiB, SortedDictionary<string, double> CpuMs);

/// <summary>The CPU a process used in the measured window, and per run.</summary>
internal sealed record ProcessCost(string Process, double CpuMs, double CpuMsPerRun);

/// <summary>The planner's resident memory at the POST, its highest reading and at the end (MiB).</summary>
internal sealed record PlannerMemory(double? StartMiB, double? PeakMiB, double? EndMiB);

/// <summary>What <c>study</c> reports.</summary>
internal sealed record StudyResult(
    double WallSeconds,
    double AdmissionSeconds,
    double RunsPerSecond,
    PlannerMemory PlannerRssMiB,
    double PlannerCpuMsPerRun,
    double RestCpuMsPerRun,
    IReadOnlyList<string> RestIncludes,
    double? PlannerToRest,
    double ServicesCpuMsPerRun,
    double? PlannerToServices,
    double Target,
    double CpuWindowSeconds,
    IReadOnlyList<ProcessCost> Processes,
    bool NoneLost);
