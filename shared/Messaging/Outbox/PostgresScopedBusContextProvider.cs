using MassTransit;
using MassTransit.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Decides what the scoped <see cref="IPublishEndpoint"/> and <see cref="ISendEndpointProvider"/> are: inside a
/// consumer they are the consume context's (so the consumer's own outbox applies); anywhere else they write to the
/// bus outbox of <typeparamref name="TDbContext"/>.
/// </summary>
internal sealed class PostgresScopedBusContextProvider<TBus, TDbContext> : IScopedBusContextProvider<TBus>, IDisposable
    where TBus : class, IBus
    where TDbContext : DbContext
{
    public PostgresScopedBusContextProvider(
        TBus bus, TDbContext db, Bind<TBus, IClientFactory> clientFactory,
        Bind<TBus, IScopedConsumeContextProvider> consumeContextProvider, IServiceProvider provider)
    {
        Context = consumeContextProvider.Value.HasContext
            ? new ConsumeContextScopedBusContext(consumeContextProvider.Value.GetContext(), clientFactory.Value)
            : new PostgresBusOutboxContext<TBus, TDbContext>(
                bus, db, clientFactory.Value, provider, provider.GetService<TimeProvider>() ?? TimeProvider.System);
    }

    public ScopedBusContext Context { get; }

    public void Dispose() => (Context as IDisposable)?.Dispose();
}
