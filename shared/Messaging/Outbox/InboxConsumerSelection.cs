using MassTransit;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Passes an endpoint's consumers on to the outbox's configuration observer — which puts each behind the inbox/outbox
/// filter — except those marked <see cref="IIdempotentConsumer"/>, which stay outside it.
/// </summary>
internal sealed class InboxConsumerSelection(IConsumerConfigurationObserver outbox) : IConsumerConfigurationObserver
{
    public void ConsumerConfigured<TConsumer>(IConsumerConfigurator<TConsumer> configurator)
        where TConsumer : class
    {
        if (NeedsInbox<TConsumer>())
        {
            outbox.ConsumerConfigured(configurator);
        }
    }

    public void ConsumerMessageConfigured<TConsumer, TMessage>(IConsumerMessageConfigurator<TConsumer, TMessage> configurator)
        where TConsumer : class
        where TMessage : class
    {
        if (NeedsInbox<TConsumer>())
        {
            outbox.ConsumerMessageConfigured(configurator);
        }
    }

    private static bool NeedsInbox<TConsumer>() => !typeof(TConsumer).IsAssignableTo(typeof(IIdempotentConsumer));
}
