using Npgsql;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>
/// Wakes open event streams when their run's events are appended, on whichever orchestrator replica the saga ran:
/// a trigger on <c>run_events</c> sends <c>NOTIFY run_events, '&lt;run id&gt;'</c> (delivered at commit, folded to one per
/// run and transaction), and this service keeps one <c>LISTEN</c> connection per process and pulses the subscriptions
/// of that run. While the connection is down (and for a moment after it is back) streams fall back to polling, so a
/// missed notification costs latency, never an event.
/// </summary>
internal sealed partial class RunEventSignals(IConfiguration configuration, TimeProvider clock, ILogger<RunEventSignals> logger)
    : BackgroundService
{
    /// <summary>The notification channel of the <c>run_events</c> trigger.</summary>
    public const string ChannelName = "run_events";

    private static readonly TimeSpan s_reconnectDelay = TimeSpan.FromSeconds(1);

    private readonly Dictionary<Guid, List<RunEventSubscription>> _subscriptions = [];
    private readonly Lock _gate = new();
    private volatile bool _listening;

    /// <summary>True while notifications arrive; streams then only poll as a safety net.</summary>
    public bool IsListening => _listening;

    /// <summary>Subscribes to the appends of <paramref name="runId"/> until the subscription is disposed.</summary>
    public RunEventSubscription Subscribe(Guid runId)
    {
        var subscription = new RunEventSubscription(this, runId);
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(runId, out var list))
            {
                _subscriptions[runId] = list = [];
            }

            list.Add(subscription);
        }

        return subscription;
    }

    internal void Unsubscribe(RunEventSubscription subscription)
    {
        lock (_gate)
        {
            if (_subscriptions.TryGetValue(subscription.RunId, out var list) && list.Remove(subscription) && list.Count == 0)
            {
                _subscriptions.Remove(subscription.RunId);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString("Database"))
        {
            // One long-lived connection that never goes back to a pool; keepalives notice a dead peer.
            Pooling = false,
            KeepAlive = 15,
        }.ConnectionString;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, notification) => Pulse(notification.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChannelName}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                _listening = true;
                // Appends made while nobody listened are found by the streams' next read.
                PulseAll();
                LogListening(logger);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _listening = false;
                PulseAll();
                LogListenFailed(logger, ex);
                await Task.Delay(s_reconnectDelay, clock, stoppingToken);
            }
            finally
            {
                _listening = false;
            }
        }
    }

    private void Pulse(string payload)
    {
        if (!Guid.TryParse(payload, out var runId))
        {
            return;
        }

        lock (_gate)
        {
            if (_subscriptions.TryGetValue(runId, out var list))
            {
                foreach (var subscription in list)
                {
                    subscription.Pulse();
                }
            }
        }
    }

    private void PulseAll()
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions.Values.SelectMany(list => list))
            {
                subscription.Pulse();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for run event notifications")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The run event notification connection failed; event streams poll until it is back")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}

/// <summary>One event stream's interest in one run: pulsed when the run's events were appended.</summary>
internal sealed class RunEventSubscription(RunEventSignals signals, Guid runId) : IDisposable
{
    // At most one pending pulse: many appends while the stream writes wake it once, and it then reads them all.
    private readonly SemaphoreSlim _pulse = new(0, 1);

    public Guid RunId { get; } = runId;

    /// <summary>Waits for a pulse, or <paramref name="timeout"/>; true when pulsed.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pulse.WaitAsync(timeout, cancellationToken);

    internal void Pulse()
    {
        try
        {
            if (_pulse.CurrentCount == 0)
            {
                _pulse.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Pulsed by two notifications at once: one pending pulse is enough.
        }
    }

    public void Dispose()
    {
        signals.Unsubscribe(this);
        _pulse.Dispose();
    }
}
