using System.Globalization;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Benchmarks.Runs;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.FanOut;

/// <summary>
/// Child-run fan-out against a client's own fan-out, on one mesh: each round runs both sides (<see cref="FanOutSides"/>),
/// alternating which goes first, after unmeasured warm-up rounds. Prints each round, the medians and the median ratio
/// (parent time ÷ client time; the target is at most <see cref="TargetRatio"/>), and where each side's time went.
/// </summary>
internal static class FanOutBenchmark
{
    public const double TargetRatio = 1.3;

    public static async Task<int> RunAsync(FanOutSettings settings, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Now();
        var n = settings.Children;
        Console.WriteLine(
            $"fanout benchmark: a parent run over {n} items (run phase, maxParallel {n}) vs a client's {n} concurrent POST /api/runs, " +
            $"children of one 0 ms mock phase; {settings.Rounds} rounds after {settings.Warmup} warm-up round(s)");
        Console.WriteLine($"machine: {machine}");
        Console.WriteLine("starting the mesh (orchestrator, phase worker × 16, approval, report, gateway without rate limit) on fresh databases and a fresh vhost…");
        await using var sides = await FanOutSides.StartAsync(n);

        var rounds = new List<FanOutRound>();
        for (var round = 1 - settings.Warmup; round <= settings.Rounds; round++)
        {
            var measured = await RoundAsync(sides, round, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(round < 1 ? "warm-up" : $"round {round}")} ({measured.First} first): parent {measured.Parent.ClientMs} ms, client {measured.Client.ClientMs} ms, ratio {measured.Ratio}"));
            if (round >= 1)
            {
                rounds.Add(measured);
            }
        }

        var medians = new
        {
            parentMs = Median.Of([.. rounds.Select(r => r.Parent.ClientMs)]),
            clientMs = Median.Of([.. rounds.Select(r => r.Client.ClientMs)]),
            ratio = Median.Of([.. rounds.Select(r => r.Ratio)], digits: 3),
        };
        Console.WriteLine();
        Console.WriteLine(Table(rounds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"medians: parent {medians.parentMs} ms, client {medians.clientMs} ms; median ratio {medians.ratio} (target ≤ {TargetRatio})"));
        Console.WriteLine();
        Console.WriteLine(Timeline(rounds));
        var sampled = await SampleStatementsAsync(sides, cancellationToken);
        Console.WriteLine($"starts answered 503 (Retry-After) and sent again: {MeshSystem.Retries}");
        var finished = MachineInfo.LoadAverageNow();
        Console.WriteLine($"load average at the end: {finished}");
        await ResultsFile.WriteAsync(settings.Out, new
        {
            benchmark = "fanout",
            startedOn = machine,
            loadAverageAtEnd = finished,
            settings,
            rounds,
            medians,
            orchestratorStatements = sampled,
        });
        return 0;
    }

    /// <summary>
    /// What the orchestrator's database connections sit on during each side (until each run has its report), sampled
    /// from <c>pg_stat_activity</c> every 10 ms in one more round of its own: sampling costs PostgreSQL CPU, so it stays
    /// out of the measured rounds.
    /// </summary>
    private static async Task<Dictionary<string, List<SampledStatement>>> SampleStatementsAsync(FanOutSides sides, CancellationToken cancellationToken)
    {
        var servers = await TestServers.GetAsync();
        var tag = $"sampled-{Guid.NewGuid():N}"[..16];
        var sampled = new Dictionary<string, List<SampledStatement>>(StringComparer.Ordinal);
        (string Side, Func<Task> Run)[] sideRuns =
        [
            ("parent", () => sides.ParentAsync(tag, cancellationToken)),
            ("client", () => sides.ClientAsync(tag, cancellationToken)),
        ];
        foreach (var (side, run) in sideRuns)
        {
            await using var sampler = await StatementSampler.StartAsync(servers.PostgresAdmin, sides.OrchestratorDatabase);
            await run();
            sampled[side] = await sampler.StopAsync();
            Console.WriteLine($"orchestrator database during the {side} side, sampled every 10 ms in a round of its own (average backends · state · wait · statement):");
            sampled[side].ForEach(statement => Console.WriteLine($"  {statement}"));
        }

        return sampled;
    }

    /// <summary>Both sides on fresh inputs; odd rounds start with the parent, even ones with the client (warm-up rounds count from 1 − warmup).</summary>
    private static async Task<FanOutRound> RoundAsync(FanOutSides sides, int round, CancellationToken cancellationToken)
    {
        var tag = $"r{round}-{Guid.NewGuid():N}"[..16];
        if (Math.Abs(round) % 2 == 1)
        {
            var (parent, events) = await sides.ParentAsync(tag, cancellationToken);
            return new FanOutRound(round, "parent", parent, await sides.ClientAsync(tag, cancellationToken), events);
        }

        var client = await sides.ClientAsync(tag, cancellationToken);
        var (parentSecond, eventsSecond) = await sides.ParentAsync(tag, cancellationToken);
        return new FanOutRound(round, "client", parentSecond, client, eventsSecond);
    }

    private static string Table(IReadOnlyList<FanOutRound> rounds)
    {
        var lines = new List<string>
        {
            "| round | first | parent ms | client ms | ratio | parent server ms | client server ms |",
            "|---:|---|---:|---:|---:|---:|---:|",
        };
        lines.AddRange(rounds.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"| {r.Round} | {r.First} | {r.Parent.ClientMs} | {r.Client.ClientMs} | {r.Ratio} | {r.Parent.ServerMs} | {r.Client.ServerMs} |")));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Medians over the rounds of where each side's time went, from the rows and the parent's events.</summary>
    private static string Timeline(IReadOnlyList<FanOutRound> rounds)
    {
        double Of(Func<FanOutRound, double> figure) => Median.Of([.. rounds.Select(figure)]);
        string Row(string side, Func<FanOutRound, SideTiming> of) => string.Create(CultureInfo.InvariantCulture,
            $"| {side} | {Of(r => of(r).FirstAdmittedMs)} | {Of(r => of(r).LastAdmittedMs)} | {Of(r => of(r).LastEndedMs)} | {Of(r => of(r).ServerMs)} |");
        return string.Join(Environment.NewLine,
            "where the time goes (medians, ms after the side's first run was created):",
            "| side | first of N admitted | last of N admitted | last of N ended | side ended |",
            "|---|---:|---:|---:|---:|",
            Row("parent", r => r.Parent),
            Row("client", r => r.Client),
            string.Create(CultureInfo.InvariantCulture,
                $"parent events: first child.started {Of(r => r.ParentEvents.FirstStartedMs)} ms, last child.started {Of(r => r.ParentEvents.LastStartedMs)} ms, " +
                $"last child.finished {Of(r => r.ParentEvents.LastFinishedMs)} ms; a child's end → its child.finished {Of(r => r.ParentEvents.FinishLagMedianMs)} ms " +
                $"median, {Of(r => r.ParentEvents.FinishLagMaxMs)} ms max"));
    }
}
