using MassTransit;
using MassTransit.Clients;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;
using MassTransit.Transports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// The bus outbox of one scope outside a consumer (e.g. an API request): what it sends or publishes through the
/// scoped <see cref="IPublishEndpoint"/>/<see cref="ISendEndpointProvider"/> becomes an <see cref="OutboxState"/> plus
/// <see cref="OutboxMessage"/> rows in the scope's DbContext, committed by the request's own <c>SaveChanges</c> together
/// with its state change — both or neither. Without <c>SaveChanges</c> nothing is sent. Once the transaction that saved
/// them commits (<see cref="BusOutboxCommits"/>), the messages are sent from memory, in order, off the request's path,
/// and the sent outbox is handed to the <see cref="DeliveryMarkWriter{TDbContext}"/> for deletion. Whatever is not sent
/// that way (a failed send, a process that died) the delivery service sends after <see cref="PostgresOutboxOptions.SweepAfter"/>.
/// </summary>
internal sealed class PostgresBusOutboxContext<TBus, TDbContext> : ScopedBusContext, OutboxSendContext, ICommittedBusOutbox, IDisposable
    where TBus : class, IBus
    where TDbContext : DbContext
{
    private readonly TBus _bus;
    private readonly TDbContext _db;
    private readonly IClientFactory _clientFactory;
    private readonly IServiceProvider _provider;
    private readonly TimeProvider _clock;
    private readonly PostgresOutboxOptions _options;
    private readonly Lock _gate = new();
    private readonly List<StoredOutbox> _stored = [];
    private StoredOutbox? _current;
    private IPublishEndpoint? _publishEndpoint;
    private ISendEndpointProvider? _sendEndpointProvider;
    private IScopedClientFactory? _scopedClientFactory;

    public PostgresBusOutboxContext(TBus bus, TDbContext db, IClientFactory clientFactory, IServiceProvider provider, TimeProvider clock)
    {
        _bus = bus;
        _db = db;
        _clientFactory = clientFactory;
        _provider = provider;
        _clock = clock;
        _options = provider.GetRequiredService<IOptionsMonitor<PostgresOutboxOptions>>().Get(PostgresOutboxOptions.NameFor(typeof(TDbContext)));
        if (_options.DeliverAtCommit)
        {
            BusOutboxCommits.Watch(db, this);
        }
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
            // After a SaveChanges the outbox row is saved; later sends start a new outbox, so each SaveChanges' messages
            // are delivered as soon as the transaction that saved them commits.
            if (_current is null || _current.Entry.State != EntityState.Added)
            {
                _current = new StoredOutbox(_db.Add(new OutboxState { OutboxId = NewId.NextGuid(), Created = now }));
                _stored.Add(_current);
            }

            var row = OutboxMessageRecord.From(context, SystemTextJsonMessageSerializer.Instance, now, null, null, _current.Entry.Entity.OutboxId);
            _db.Add(row);
            _current.Messages.Add(row);
        }

        return Task.CompletedTask;
    }

    public void Saved(Guid? transactionId)
    {
        List<StoredOutbox> committed;
        lock (_gate)
        {
            foreach (var outbox in _stored.Where(o => o.SavedIn is null && o.Entry.State == EntityState.Unchanged))
            {
                outbox.SavedIn = transactionId ?? Guid.Empty;
            }

            committed = transactionId is null ? Take(Guid.Empty) : [];
        }

        Send(committed);
    }

    public void Committed(Guid transactionId)
    {
        List<StoredOutbox> committed;
        lock (_gate)
        {
            committed = Take(transactionId);
        }

        Send(committed);
    }

    public object? GetService(Type serviceType) => _provider.GetService(serviceType);

    public void Dispose()
    {
        if (_options.DeliverAtCommit)
        {
            BusOutboxCommits.Forget(_db, this);
        }
    }

    private List<StoredOutbox> Take(Guid savedIn)
    {
        var taken = _stored.Where(o => o.SavedIn == savedIn).ToList();
        _stored.RemoveAll(taken.Contains);
        return taken;
    }

    /// <summary>Sends committed outboxes in the background, one after another (each in its order), then hands them over for deletion.</summary>
    private void Send(List<StoredOutbox> committed)
    {
        if (committed.Count == 0)
        {
            return;
        }

        var sender = new StoredMessageSender(_bus, _provider.GetRequiredService<ILogger<PostgresBusOutboxContext<TBus, TDbContext>>>());
        var marks = _provider.GetRequiredService<DeliveryMarkWriter<TDbContext>>();
        var timeout = _options.MessageDeliveryTimeout;
        _ = Task.Run(async () =>
        {
            foreach (var outbox in committed)
            {
                var outcome = await sender.SendInOrderAsync(outbox.Messages, outbox.Messages.Count, timeout, CancellationToken.None);
                if (outcome is not { Drained: true, Faulted: false })
                {
                    return; // The delivery service sends this outbox and the ones after it (its log says why).
                }

                marks.TryForgetBusOutbox(outbox.Entry.Entity.OutboxId);
            }
        });
    }

    /// <summary>One outbox of the scope: its rows, and the transaction that saved them (<see cref="Guid.Empty"/>: none, committed).</summary>
    private sealed class StoredOutbox(EntityEntry<OutboxState> entry)
    {
        public EntityEntry<OutboxState> Entry { get; } = entry;

        public List<OutboxMessage> Messages { get; } = [];

        public Guid? SavedIn { get; set; }
    }
}
