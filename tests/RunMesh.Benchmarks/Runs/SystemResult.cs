namespace RunMesh.Benchmarks.Runs;

/// <summary>One measured row of the table: a system (or a worker count of RunMesh) at one load.</summary>
internal sealed record SystemResult(
    string System,
    string Detail,
    int Runs,
    int Phases,
    int InFlight,
    int ExecutorMs,
    int Failures,
    double Seconds,
    double RunsPerSecond,
    double PhasesPerSecond,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    string? LoadAverage)
{
    /// <summary>RunMesh only: where a run's time went, from its events.</summary>
    public RunTimeline? Timeline { get; init; }

    /// <summary>CPU of every process involved (this program, PostgreSQL, RabbitMQ, RunMesh's services) per completed run, in ms.</summary>
    public double? CpuMsPerRun { get; init; }

    /// <summary>Unmeasured runs before the batch: the minimum, and more until the JIT settled.</summary>
    public int? WarmupRuns { get; init; }

    /// <summary>The row from a batch's wall time and its runs' latencies (ms).</summary>
    public static SystemResult From(
        string system, string detail, int phases, int inFlight, int executorMs, LoadOutcome outcome, IReadOnlyList<double> latencies)
    {
        var sorted = latencies.Order().ToArray();
        var seconds = outcome.Elapsed.TotalSeconds;
        var completed = outcome.Runs - outcome.Failures;
        return new SystemResult(
            system, detail, outcome.Runs, phases, inFlight, executorMs, outcome.Failures, Math.Round(seconds, 3),
            Math.Round(completed / seconds, 2), Math.Round(completed * phases / seconds, 1),
            Quantile(sorted, 0.50), Quantile(sorted, 0.95), Quantile(sorted, 0.99),
            Reporting.MachineInfo.LoadAverageNow());
    }

    /// <summary>Nearest rank; NaN when nothing was measured.</summary>
    private static double Quantile(double[] sorted, double quantile) =>
        sorted.Length == 0
            ? double.NaN
            : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)], 1);
}
