using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>
/// Counts one batch: messages fully processed by the measured endpoint (the receive pipe finished: consumer,
/// commit and, behind the outbox, delivery of what it stored) and downstream messages that arrived. The time of the
/// last one of each is taken when it happens, so polling for progress does not blur the measurement.
/// </summary>
internal sealed class CellProgress : IReceiveObserver
{
    private readonly Lock _gate = new();
    private ConcurrentDictionary<Guid, byte> _deliveredIds = new();
    private string _batch = "";
    private string _queue = "";
    private int _target;
    private bool _expectDownstream;
    private int _processed;
    private int _faulted;
    private int _deliveredCopies;
    private long _lastProcessed;
    private long _lastDelivered;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Processed => Volatile.Read(ref _processed);

    public int Faulted => Volatile.Read(ref _faulted);

    public int DeliveredDistinct => _deliveredIds.Count;

    public int DeliveredCopies => Volatile.Read(ref _deliveredCopies);

    public long LastProcessedTimestamp => Interlocked.Read(ref _lastProcessed);

    public long LastDeliveredTimestamp => Interlocked.Read(ref _lastDelivered);

    public Task Done => _done.Task;

    /// <summary>Starts counting a new batch of <paramref name="target"/> messages on <paramref name="queue"/>.</summary>
    public void Begin(string batch, string queue, int target, bool expectDownstream)
    {
        lock (_gate)
        {
            _batch = batch;
            _queue = "/" + queue;
            _target = target;
            _expectDownstream = expectDownstream;
            _processed = 0;
            _faulted = 0;
            _deliveredCopies = 0;
            _deliveredIds = new ConcurrentDictionary<Guid, byte>();
            _lastProcessed = 0;
            _lastDelivered = 0;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Delivered(string batch, Guid messageId)
    {
        if (batch != Volatile.Read(ref _batch))
        {
            return;
        }

        Interlocked.Increment(ref _deliveredCopies);
        if (_deliveredIds.TryAdd(messageId, 0))
        {
            Interlocked.Exchange(ref _lastDelivered, Stopwatch.GetTimestamp());
            CheckDone();
        }
    }

    public Task PostReceive(ReceiveContext context)
    {
        if (context.InputAddress.AbsolutePath.EndsWith(_queue, StringComparison.Ordinal))
        {
            Interlocked.Exchange(ref _lastProcessed, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _processed);
            CheckDone();
        }

        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        if (context.InputAddress.AbsolutePath.EndsWith(_queue, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _faulted);
        }

        return Task.CompletedTask;
    }

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class => Task.CompletedTask;

    private void CheckDone()
    {
        if (Processed >= _target && (!_expectDownstream || DeliveredDistinct >= _target))
        {
            _done.TrySetResult();
        }
    }
}
