using System.Diagnostics;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// A closed-loop load: <c>concurrency</c> clients each start a run, wait until it has finished, and start the next,
/// until <c>total</c> runs have been started. While it runs, one console line shows a progress bar (rewritten in
/// place every half second).
/// </summary>
internal static class ClosedLoad
{
    /// <summary>
    /// Runs <paramref name="runOne"/> <paramref name="total"/> times with <paramref name="concurrency"/> in flight.
    /// <paramref name="runOne"/> returns the run's submit→completed latency in milliseconds when it measures it itself
    /// (null when it is taken from elsewhere afterwards), or throws when the run did not complete.
    /// </summary>
    public static async Task<LoadOutcome> RunAsync(
        string label, int total, int concurrency, Func<int, CancellationToken, Task<double?>> runOne, CancellationToken cancellationToken)
    {
        var latencies = new double?[total];
        var failures = 0;
        var next = -1;
        var done = 0;
        var started = Stopwatch.GetTimestamp();

        async Task ClientAsync()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < total && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    latencies[index] = await runOne(index, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (Interlocked.Increment(ref failures) <= 3)
                    {
                        Console.Error.WriteLine($"{Environment.NewLine}  {label}: run {index} failed: {ex.Message}");
                    }
                }

                Interlocked.Increment(ref done);
            }
        }

        var clients = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(ClientAsync, cancellationToken)));
        using var progress = new ProgressLine(label, total);
        while (!clients.IsCompleted)
        {
            await Task.WhenAny(clients, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken));
            progress.Show(Volatile.Read(ref done), Stopwatch.GetElapsedTime(started));
        }

        await clients;
        var elapsed = Stopwatch.GetElapsedTime(started);
        progress.Show(total, elapsed);
        return new LoadOutcome(total, failures, elapsed, latencies);
    }
}

/// <summary>What one closed-loop batch gave: its wall time and each run's latency (null where not measured by the client).</summary>
internal sealed record LoadOutcome(int Runs, int Failures, TimeSpan Elapsed, double?[] Latencies);

/// <summary>One console line with a bar, the count and the rate so far, rewritten in place.</summary>
internal sealed class ProgressLine(string label, int total) : IDisposable
{
    private const int Width = 30;

    private bool _finalShown;

    public void Show(int done, TimeSpan elapsed)
    {
        var filled = total == 0 ? Width : Math.Min(Width, done * Width / total);
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        var line = $"  {label,-22} [{new string('#', filled)}{new string('.', Width - filled)}] {done,5}/{total} runs  {elapsed.TotalSeconds,6:F1} s  {rate,7:F1} runs/s";
        // A redirected output (CI logs, a file) gets no carriage returns: one line at the end only.
        if (!Console.IsOutputRedirected)
        {
            Console.Write("\r" + line);
        }
        else if (done >= total && !_finalShown)
        {
            _finalShown = true;
            Console.Write(line);
        }
    }

    public void Dispose() => Console.WriteLine();
}
