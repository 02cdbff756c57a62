using MassTransit.Middleware.Outbox;
using Microsoft.Extensions.Options;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Wakes the delivery service when a bus outbox was committed. Unlike MassTransit's <c>BusOutboxNotification</c>, a
/// wake-up that arrives while the service is busy sweeping is remembered, not lost — otherwise a commit made during a
/// sweep would wait a whole <see cref="PostgresOutboxOptions.QueryDelay"/>.
/// </summary>
internal sealed class OutboxDeliverySignal(IOptionsMonitor<PostgresOutboxOptions> options, string name) : IBusOutboxNotification, IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public async Task WaitForDelivery(CancellationToken cancellationToken) =>
        await _signal.WaitAsync(options.Get(name).QueryDelay, cancellationToken);

    public void Delivered()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every commit before it.
        }
        catch (ObjectDisposedException)
        {
            // The host is stopping.
        }
    }

    public void Dispose() => _signal.Dispose();
}
