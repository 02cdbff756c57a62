namespace RunMesh.Benchmarks.Runs;

/// <summary>The flags of <c>runs</c>.</summary>
internal sealed record RunsSettings(
    int Runs,
    int Warmup,
    int WarmupMax,
    int Concurrency,
    int Phases,
    string Via,
    int ExecutorMs,
    IReadOnlyList<int> Workers,
    int ScaleRuns,
    int ScaleInFlight,
    int ScaleExecutorMs,
    IReadOnlyList<string> Systems,
    int? OrchestratorPrefetch,
    bool Quick,
    string? Out,
    string? Chart)
{
    public static readonly IReadOnlyList<string> AllSystems = ["runmesh", "raw", "hangfire", "rebus", "scaling"];

    public static RunsSettings From(BenchmarkArguments arguments)
    {
        arguments.RejectUnknown(
            "runs", "warmup", "warmup-max", "concurrency", "phases", "via", "executor-ms", "workers", "scale-runs", "scale-in-flight",
            "scale-executor-ms", "systems", "orchestrator-prefetch", "quick", "out", "chart");
        // Quick: a smoke run of every system in about two minutes; figures mean little.
        var quick = arguments.Text("quick") is "true";
        return new RunsSettings(
            arguments.Integer("runs", quick ? 20 : 1000),
            arguments.Integer("warmup", quick ? 20 : 300, min: 0),
            arguments.Integer("warmup-max", quick ? 20 : 6000, min: 0),
            arguments.Integer("concurrency", 8),
            arguments.Integer("phases", 3),
            arguments.Words("via", ["gateway"], ["gateway", "direct"]).Single(),
            arguments.Integer("executor-ms", 0, min: 0),
            arguments.Integers("workers", quick ? [1, 2] : [1, 2, 4]),
            arguments.Integer("scale-runs", quick ? 16 : 128),
            arguments.Integer("scale-in-flight", quick ? 16 : 64),
            arguments.Integer("scale-executor-ms", quick ? 50 : 200, min: 0),
            arguments.Words("systems", AllSystems, AllSystems),
            arguments.Text("orchestrator-prefetch") is null ? null : arguments.Integer("orchestrator-prefetch", 32),
            quick,
            arguments.Text("out"),
            arguments.Text("chart"));
    }
}
