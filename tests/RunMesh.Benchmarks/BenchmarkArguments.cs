using System.Globalization;

namespace RunMesh.Benchmarks;

/// <summary>The subcommand and its <c>--name value</c> flags (a flag without a value is <c>true</c>).</summary>
internal sealed class BenchmarkArguments
{
    public const string Usage = """
        usage: RunMesh.Benchmarks <command> [flags]

          outbox   messages/s through a consumer that updates a row: Postgres inbox/outbox vs a plain transaction
                   vs no database, each cell on a fresh database and vhost
                     --messages N        messages per cell (default 2000)
                     --warmup N          warm-up messages per cell (default 200)
                     --in-flight 1,8,32  concurrency limit = prefetch per cell (default 1,8,32)
                     --publish both|on|off  whether the consumer publishes a downstream message (default both)
                     --modes outbox,plain,nodb  (default all three)
                     --bus-outbox on|off  also measure the delivery service draining N stored bus outboxes (default on)
                     --out FILE          write the results as JSON

          gateway  requests/s and p50/p99 of one authenticated GET through the gateway vs directly to the service
                     --concurrency N     concurrent requests (default 16)
                     --seconds N         measured seconds per side and round (default 10)
                     --warmup-seconds N  unmeasured seconds before each measured side (default 3)
                     --prime-seconds N   unmeasured seconds per side before the first round, so the JIT has
                                         compiled the hot paths of every process (default 20)
                     --rounds N          gateway/direct alternations (default 3)
                     --target templates|run   GET /api/templates or GET /api/runs/{runId} (default templates)
                     --out FILE          write the results as JSON

          runs     whole runs side by side: RunMesh (the mesh as processes), the raw-bus chain with the same hops and
                   transactions, Hangfire and Rebus on PostgreSQL; then RunMesh with 1 → 2 → 4 phase worker replicas
                     --runs N            measured runs per system (default 1000: long enough to reach the steady state)
                     --warmup N          unmeasured runs per system first (default 300), then batches of 250 until
                                         the JIT settles (fewer than 4 methods compiled per run in the system's processes)
                     --warmup-max N      stop warming up after N runs even if the JIT has not settled (default 6000)
                     --concurrency N     runs in flight: closed-loop clients (default 8)
                     --phases N          mock phases per run (default 3)
                     --via gateway|direct  RunMesh's REST entry: the gateway, or the orchestrator with an identity token (default gateway)
                     --executor-ms N     the mock executor's latency in the comparison (default 0)
                     --workers 1,2,4     phase worker replicas for the scaling rows (concurrency 4 each)
                     --scale-runs N      measured runs per worker count (default 128)
                     --scale-in-flight N runs in flight when scaling (default 64)
                     --scale-executor-ms N  the executor's latency when scaling (default 200)
                     --systems runmesh,raw,hangfire,rebus,scaling  (default all)
                     --orchestrator-prefetch N  the orchestrator's RabbitMq:PrefetchCount (default: its configuration)
                     --quick             a smoke run: 20 runs, 16 when scaling, workers 1,2, a 50 ms executor
                     --out FILE          write the results as JSON
                     --chart FILE        render the SVG chart

          fanout   a parent run whose run phase starts N one-phase children (forEach, maxParallel N) against a client
                   starting the same N runs itself (N concurrent POST /api/runs): time until all completed, per round
                     --children N        children per parent (default 100, at most 256)
                     --rounds N          measured rounds, each both sides, alternating which goes first (default 5)
                     --warmup N          unmeasured rounds first (default 1)
                     --out FILE          write the results as JSON

          study    one study of N runs of a one-phase 0 ms mock template (a grid: conditions × replicates) started with
                   one POST /api/studies: none lost, the planner's memory (start/peak/end) and its CPU per run against
                   the rest of the mesh's
                     --runs N            runs in the study (default 10000, at most 10000)
                     --parallelism N     the study's runs in flight (default 64, at most 256)
                     --warmup N          runs of an unmeasured study first (default 200; 0 for none)
                     --out FILE          write the results as JSON

          cli      the command-line client's start-up: wall time of `runmesh runs list` against a warm mesh, process
                   start to exit, one invocation after another; prints the median and the load average
                     --invocations N     measured invocations (default 20)
                     --warmup N          unmeasured invocations first (default 3)
                     --runs N            completed runs on the mesh first, so the list has rows (default 20)
                     --runmesh PATH      the runmesh to measure (default: clients/Cli packed and installed with
                                         dotnet tool install into a temporary directory, as the README does)
                     --url URL --key KEY an existing mesh and a viewer's key (default: a mesh of its own)
                     --out FILE          write the results as JSON
        """;

    private readonly Dictionary<string, string> _flags;

    private BenchmarkArguments(string command, Dictionary<string, string> flags)
    {
        Command = command;
        _flags = flags;
    }

    public string Command { get; }

    public static BenchmarkArguments? Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            return null;
        }

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                return null;
            }

            var hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            flags[name[2..]] = hasValue ? args[++i] : "true";
        }

        return new BenchmarkArguments(args[0], flags);
    }

    public string? Text(string name) => _flags.GetValueOrDefault(name);

    public int Integer(string name, int fallback, int min = 1) =>
        _flags.TryGetValue(name, out var text)
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min
                ? value
                : throw new ArgumentException($"--{name} must be an integer ≥ {min}, not '{text}'.")
            : fallback;

    public IReadOnlyList<int> Integers(string name, IReadOnlyList<int> fallback) =>
        _flags.TryGetValue(name, out var text)
            ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1
                    ? value
                    : throw new ArgumentException($"--{name} takes positive integers separated by commas, not '{text}'."))
                .ToList()
            : fallback;

    public IReadOnlyList<string> Words(string name, IReadOnlyList<string> fallback, IReadOnlyCollection<string> allowed)
    {
        if (!_flags.TryGetValue(name, out var text))
        {
            return fallback;
        }

        var words = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words.Length > 0 && words.All(allowed.Contains)
            ? words
            : throw new ArgumentException($"--{name} takes {string.Join(", ", allowed)}, not '{text}'.");
    }

    /// <summary>Flags the command did not read (a typo should not silently measure the defaults).</summary>
    public void RejectUnknown(params string[] known)
    {
        var unknown = _flags.Keys.Except(known).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown flag(s) for {Command}: {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }
}
