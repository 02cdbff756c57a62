using System.Collections.Concurrent;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// In-process completion signals for the systems that run inside the benchmark process (the raw chain, Hangfire's
/// server, Rebus's endpoints): the client awaits its run, the step that completes it signals.
/// </summary>
internal sealed class CompletionTracker
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _awaited = new();

    public Task Expect(Guid runId) =>
        _awaited.GetOrAdd(runId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Complete(Guid runId)
    {
        if (_awaited.TryRemove(runId, out var awaited))
        {
            awaited.TrySetResult();
        }
    }

    /// <summary>Starts a run with <paramref name="start"/> and returns submit→completed in ms (a lost run times out).</summary>
    public async Task<double?> RunAsync(Guid runId, Func<Task> start, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var completed = Expect(runId);
        await start();
        await completed.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
