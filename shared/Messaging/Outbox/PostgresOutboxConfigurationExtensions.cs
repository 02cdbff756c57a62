using MassTransit;
using MassTransit.Configuration;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Registration of the Postgres transactional inbox/outbox — the counterpart of MassTransit.EntityFrameworkCore's
/// <c>AddEntityFrameworkOutbox&lt;TDb&gt;(o =&gt; o.UsePostgres())</c> and <c>UseEntityFrameworkOutbox&lt;TDb&gt;(context)</c>.
/// </summary>
public static class PostgresOutboxConfigurationExtensions
{
    /// <summary>Retries of <see cref="UsePostgresTransientRetry"/>: 7 fast ones (≈ 5 s in all), then 13 of 3 s.</summary>
    public const int TransientRetryLimit = 20;

    /// <summary>
    /// Adds the inbox/outbox on <typeparamref name="TDbContext"/> (whose model calls <c>AddPostgresOutboxEntities()</c>),
    /// the delivery service that sends what consumers stored but did not deliver, and the inbox cleanup.
    /// Apply it to endpoints with <see cref="UsePostgresOutbox{TDbContext}"/>. The outbox leaves EF Core's automatic
    /// savepoints as the DbContext's options set them; the services' options (shared/Hosting's <c>UseServiceDatabase</c>)
    /// turn them off, saving two round trips per <c>SaveChanges</c> of a pass.
    /// </summary>
    public static IBusRegistrationConfigurator AddPostgresOutbox<TDbContext>(
        this IBusRegistrationConfigurator configurator, Action<PostgresOutboxOptions>? configure = null)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        var options = new PostgresOutboxOptions();
        configure?.Invoke(options);

        configurator.TryAddScoped<IOutboxContextFactory<TDbContext>, PostgresOutboxContextFactory<TDbContext>>();
        if (!configurator.Any(service => service.ServiceType == typeof(DeliveryMarkWriter<TDbContext>)))
        {
            configurator.AddSingleton<DeliveryMarkWriter<TDbContext>>();
            configurator.AddSingleton<IHostedService>(provider => provider.GetRequiredService<DeliveryMarkWriter<TDbContext>>());
        }

        configurator.AddOptions<PostgresOutboxOptions>(PostgresOutboxOptions.NameFor(typeof(TDbContext)))
            .Configure(target => Copy(options, target));

        if (options.BusOutbox)
        {
            configurator.ReplaceScoped<IScopedBusContextProvider<IBus>, PostgresScopedBusContextProvider<IBus, TDbContext>>();
            // Tells each scope's bus outbox when its transaction committed, so it sends at once (DeliverAtCommit).
            configurator.ConfigureDbContext<TDbContext>(db => db.AddInterceptors(BusOutboxCommits.Instance), ServiceLifetime.Singleton);
        }

        if (options.DeliveryService)
        {
            configurator.AddHostedService<OutboxDeliveryService<TDbContext>>();
        }

        if (options.InboxCleanupService)
        {
            configurator.AddHostedService<InboxCleanupService<TDbContext>>();
        }

        return configurator;
    }

    /// <summary>
    /// Runs every consumer and saga of this endpoint through the inbox/outbox of <typeparamref name="TDbContext"/>,
    /// behind a retry of serialization failures and deadlocks — in front of the outbox, so each retry is a fresh
    /// transaction (MassTransit #4204). A consumer marked <see cref="IIdempotentConsumer"/> gets the retry only.
    /// The endpoint keeps its own <see cref="InboxClaimPolicy"/> (how its consumers' new inbox rows are claimed).
    /// To apply it to every endpoint:
    /// <c>x.AddConfigureEndpointsCallback((context, name, e) =&gt; e.UsePostgresOutbox&lt;TDb&gt;(context))</c>.
    /// </summary>
    public static void UsePostgresOutbox<TDbContext>(
        this IReceiveEndpointConfigurator configurator, IRegistrationContext context, Action<IOutboxOptionsConfigurator>? configure = null)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(context);

        configurator.UseFilter(new InboxClaimPolicy.Payload(new InboxClaimPolicy()));
        configurator.UsePostgresTransientRetry();

        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(configurator, context)
        {
            // MassTransit's default of 1 costs a transaction per stored message; a consumer's messages go in one.
            MessageDeliveryLimit = 100,
            MessageDeliveryTimeout = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(observer);
        configurator.ConnectConsumerConfigurationObserver(new InboxConsumerSelection(observer));
        configurator.ConnectSagaConfigurationObserver(observer);
    }

    /// <summary>
    /// Retries a message whose database transaction lost a race (40001 serialization failure, 40P01 deadlock, a
    /// concurrent saga insert) or whose database went away (a dropped connection, a server shutting down or
    /// restarting), with an exponential backoff: the first retries come within milliseconds (races), the later
    /// ones every 3 s, so <see cref="TransientRetryLimit"/> attempts span about 40 s — longer than a PostgreSQL
    /// restart takes — before the message is faulted to the <c>_error</c> queue.
    /// </summary>
    public static void UsePostgresTransientRetry(this IConsumePipeConfigurator configurator)
    {
        configurator.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(TransientDatabaseFailure.IsTransient);
            retry.Exponential(TransientRetryLimit, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        });
    }

    private static void Copy(PostgresOutboxOptions from, PostgresOutboxOptions to)
    {
        to.DuplicateDetectionWindow = from.DuplicateDetectionWindow;
        to.QueryDelay = from.QueryDelay;
        to.QueryMessageLimit = from.QueryMessageLimit;
        to.QueryTimeout = from.QueryTimeout;
        to.MessageDeliveryLimit = from.MessageDeliveryLimit;
        to.MessageDeliveryTimeout = from.MessageDeliveryTimeout;
        to.SweepAfter = from.SweepAfter;
        to.DeliveryMarkDelay = from.DeliveryMarkDelay;
        to.DeliverAtCommit = from.DeliverAtCommit;
        to.MaxFaultBackoff = from.MaxFaultBackoff;
        to.AbandonAfter = from.AbandonAfter;
        to.DeliveryService = from.DeliveryService;
        to.InboxCleanupService = from.InboxCleanupService;
        to.BusOutbox = from.BusOutbox;
    }
}
