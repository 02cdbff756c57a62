using System.Globalization;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// Warm-up that ends when the JIT has settled, not after a fixed count. Each .NET process compiles its hot methods
/// again at tier 1 in the background (tiered compilation with dynamic PGO), and on two busy cores that backlog takes
/// thousands of runs to drain: after 300 warm-up runs the report service still spent over half of its CPU samples
/// on its tiered-compilation thread, and a run cost 90 ms of CPU instead of the 53 ms it costs once the JIT is done.
/// A benchmark of a long-running service should measure the second figure, so the warm-up runs the minimum, then
/// batches of <see cref="BatchRuns"/> until a batch compiles fewer than <see cref="SettledMethodsPerRun"/> methods per
/// run in all the system's processes together (or the maximum is reached).
/// </summary>
internal static class JitSettledWarmup
{
    public const int BatchRuns = 250;

    /// <summary>What never stops compiling: health probes, metric scrapes and timers compile a method now and then.</summary>
    public const double SettledMethodsPerRun = 4;

    /// <summary>Runs the warm-up; returns how many runs it took.</summary>
    public static async Task<int> RunAsync(
        string system, int minimumRuns, int maximumRuns, int concurrency, Func<int, CancellationToken, Task<double?>> runOne,
        Func<Task<long>> compiledMethods, CancellationToken cancellationToken)
    {
        var done = 0;
        if (minimumRuns > 0)
        {
            await ClosedLoad.RunAsync($"warm-up {system}", minimumRuns, concurrency, runOne, cancellationToken);
            done = minimumRuns;
        }

        while (done < maximumRuns)
        {
            var before = await compiledMethods();
            var batch = Math.Min(BatchRuns, maximumRuns - done);
            await ClosedLoad.RunAsync($"warm-up {system} (JIT)", batch, concurrency, runOne, cancellationToken);
            done += batch;
            var perRun = (double)(await compiledMethods() - before) / batch;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {perRun:F1} methods JIT-compiled per run over the last {batch} runs ({done} warm-up runs so far)"));
            if (perRun < SettledMethodsPerRun)
            {
                return done;
            }
        }

        if (maximumRuns > minimumRuns)
        {
            Console.WriteLine($"    the JIT had not settled after {done} warm-up runs (--warmup-max); measuring anyway");
        }

        return done;
    }

    /// <summary>Methods this process's JIT compiled so far (for the systems that run inside the benchmark).</summary>
    public static Task<long> InThisProcess() =>
        Task.FromResult(System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false));
}
