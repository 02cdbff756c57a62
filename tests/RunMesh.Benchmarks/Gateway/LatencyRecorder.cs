using System.Diagnostics;

namespace RunMesh.Benchmarks.Gateway;

/// <summary>Latencies of one measured phase (Stopwatch ticks), one list per client worker so recording takes no lock.</summary>
internal sealed class LatencyRecorder(int workers)
{
    private readonly List<long>[] _ticks = Enumerable.Range(0, workers).Select(_ => new List<long>(100_000)).ToArray();
    private int _errors;

    public int Errors => Volatile.Read(ref _errors);

    public void Record(int worker, long ticks) => _ticks[worker].Add(ticks);

    public void Error() => Interlocked.Increment(ref _errors);

    public long[] Sorted()
    {
        var all = _ticks.SelectMany(t => t).ToArray();
        Array.Sort(all);
        return all;
    }

    /// <summary>The <paramref name="quantile"/> (0–1) of <paramref name="sorted"/>, in milliseconds (nearest rank).</summary>
    public static double Milliseconds(long[] sorted, double quantile)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var index = Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[index] * 1000.0 / Stopwatch.Frequency;
    }
}
