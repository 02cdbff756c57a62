namespace RunMesh.Benchmarks.Studies;

/// <summary>The flags of <c>study</c>.</summary>
internal sealed record StudySettings(int Runs, int Parallelism, int Warmup, string? Out)
{
    /// <summary>The planner's default <c>Planner:MaxRunsPerStudy</c>: a larger study is refused (400).</summary>
    public const int MaxRuns = 10_000;

    /// <summary>A study's <c>parallelism</c> is at most 256.</summary>
    public const int MaxParallelism = 256;

    public static StudySettings From(BenchmarkArguments arguments)
    {
        arguments.RejectUnknown("runs", "parallelism", "warmup", "out");
        var runs = arguments.Integer("runs", 10_000);
        var parallelism = arguments.Integer("parallelism", 64);
        var warmup = arguments.Integer("warmup", 200, min: 0);
        return runs > MaxRuns
            ? throw new ArgumentException($"--runs must be at most {MaxRuns} (the planner's MaxRunsPerStudy), not {runs}.")
            : parallelism > MaxParallelism
                ? throw new ArgumentException($"--parallelism must be at most {MaxParallelism} (a study's parallelism), not {parallelism}.")
                : warmup > MaxRuns
                    ? throw new ArgumentException($"--warmup must be at most {MaxRuns}, not {warmup}.")
                    : new StudySettings(runs, parallelism, warmup, arguments.Text("out"));
    }
}
