using MassTransit;
using MassTransit.Clients;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;
using MassTransit.Transports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// The bus outbox of one scope outside a consumer (e.g. an API request): what it sends or publishes through the
/// scoped <see cref="IPublishEndpoint"/>/<see cref="ISendEndpointProvider"/> becomes an <see cref="OutboxState"/> plus
/// <see cref="OutboxMessage"/> rows in the scope's DbContext, committed by the request's own <c>SaveChanges</c> together
/// with its state change — both or neither. Without <c>SaveChanges</c> nothing is sent. When the scope ends after a
/// commit, the delivery service is woken to send them at once.
/// </summary>
internal sealed class PostgresBusOutboxContext<TBus, TDbContext> : ScopedBusContext, OutboxSendContext, IDisposable
    where TBus : class, IBus
    where TDbContext : DbContext
{
    private readonly TBus _bus;
    private readonly TDbContext _db;
    private readonly IBusOutboxNotification _notification;
    private readonly IClientFactory _clientFactory;
    private readonly IServiceProvider _provider;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private EntityEntry<OutboxState>? _outbox;
    private IPublishEndpoint? _publishEndpoint;
    private ISendEndpointProvider? _sendEndpointProvider;
    private IScopedClientFactory? _scopedClientFactory;

    public PostgresBusOutboxContext(
        TBus bus, TDbContext db, IBusOutboxNotification notification, IClientFactory clientFactory, IServiceProvider provider, TimeProvider clock)
    {
        _bus = bus;
        _db = db;
        _notification = notification;
        _clientFactory = clientFactory;
        _provider = provider;
        _clock = clock;
    }

    public ISendEndpointProvider SendEndpointProvider => _sendEndpointProvider ??= new OutboxSendEndpointProvider(this, _bus);

    public IPublishEndpoint PublishEndpoint => _publishEndpoint ??= new PublishEndpoint(new OutboxPublishEndpointProvider(this, _bus));

    public IScopedClientFactory ClientFactory =>
        _scopedClientFactory ??= new ScopedClientFactory(new ClientFactory(new ScopedClientFactoryContext(_clientFactory, _provider)), null);

    public Task AddSend<T>(SendContext<T> context)
        where T : class
    {
        var now = UtcClock.Now(_clock);
        lock (_gate)
        {
            // After a SaveChanges the outbox row is committed (or at least saved); later sends start a new outbox,
            // so each SaveChanges' messages are delivered as soon as that SaveChanges is done.
            if (_outbox is null || Saved)
            {
                if (Saved)
                {
                    _notification.Delivered();
                }

                _outbox = _db.Add(new OutboxState { OutboxId = NewId.NextGuid(), Created = now });
            }

            var row = OutboxMessageRecord.From(context, SystemTextJsonMessageSerializer.Instance, now, null, null, _outbox.Entity.OutboxId);
            _db.Add(row);
        }

        return Task.CompletedTask;
    }

    public object? GetService(Type serviceType) => _provider.GetService(serviceType);

    public void Dispose()
    {
        if (Saved)
        {
            _notification.Delivered();
        }

        _outbox = null;
    }

    private bool Saved => _outbox?.State == EntityState.Unchanged;
}
