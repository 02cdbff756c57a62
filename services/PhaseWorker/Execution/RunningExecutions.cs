using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// The executions this worker runs right now, so that <c>CancelPhase</c> can abort one. A cancelled execution id is
/// also remembered for a while (<see cref="PhaseWorkerOptions.CancelledExecutionRetentionSeconds"/>): the
/// <c>ExecutePhase</c> may still be queued when the cancel arrives, and then it is not started at all. This is memory
/// only — the worker stays stateless; after a restart a late <c>ExecutePhase</c> runs and its result is ignored by the saga.
/// </summary>
internal sealed class RunningExecutions(TimeProvider time, IOptions<PhaseWorkerOptions> options)
{
    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<RunningExecution, byte> _running = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _cancelled = new();

    /// <summary>How many executions run now.</summary>
    public int Count => _running.Count;

    /// <summary>Registers an execution; <see langword="null"/> when it was cancelled before it started.</summary>
    public RunningExecution? TryStart(Guid executionId)
    {
        if (_cancelled.TryGetValue(executionId, out var until) && until > time.GetUtcNow())
        {
            return null;
        }

        var execution = new RunningExecution(executionId, this);
        _running.TryAdd(execution, 0);
        return execution;
    }

    /// <summary>Cancels the execution if it runs here and remembers it; returns whether it was running here.</summary>
    public bool Cancel(Guid executionId)
    {
        var now = time.GetUtcNow();
        Forget(now);
        _cancelled[executionId] = now.AddSeconds(options.Value.CancelledExecutionRetentionSeconds);

        var found = false;
        foreach (var execution in _running.Keys.Where(execution => execution.ExecutionId == executionId))
        {
            execution.Cancel();
            found = true;
        }

        return found;
    }

    private void Forget(DateTimeOffset now)
    {
        foreach (var (id, until) in _cancelled)
        {
            if (until <= now || _cancelled.Count > MaxRemembered)
            {
                _cancelled.TryRemove(id, out _);
            }
        }
    }

    internal void Remove(RunningExecution execution) => _running.TryRemove(execution, out _);
}

/// <summary>One running execution: the token <c>CancelPhase</c> cancels. Dispose when the execution ends.</summary>
internal sealed class RunningExecution : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly RunningExecutions _owner;

    internal RunningExecution(Guid executionId, RunningExecutions owner)
    {
        ExecutionId = executionId;
        _owner = owner;
    }

    /// <summary>The execution's id.</summary>
    public Guid ExecutionId { get; }

    /// <summary>Cancelled by <c>CancelPhase</c>.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Whether <c>CancelPhase</c> arrived for it.</summary>
    public bool IsCancelled => _cancel.IsCancellationRequested;

    internal void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended between being found and being cancelled: nothing left to abort.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _owner.Remove(this);
        _cancel.Dispose();
    }
}
