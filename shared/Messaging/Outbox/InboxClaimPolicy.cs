using System.Collections.Concurrent;
using MassTransit;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Whether a consumer's next new inbox row is claimed already marked delivered, one policy per receive endpoint
/// (<see cref="PostgresOutboxConfigurationExtensions.UsePostgresOutbox{TDbContext}"/> creates it and hands it to every
/// message of the endpoint as a payload of its <see cref="ConsumeContext"/>).
/// </summary>
/// <remarks>
/// The claim inserts a new row marked consumed, and delivered too when the consumer is expected to store no messages —
/// as the row must be at commit then. A consumer that stores messages would have to take that mark away again (an
/// UPDATE in every pass of a saga that sends each time), so the policy remembers, per consumer of the endpoint, whether
/// its last pass that ran the consumer stored messages, and claims without the mark if it did. It is only a guess: a
/// wrong one costs that UPDATE, never correctness, and a rollback takes the marks away with the row.
/// </remarks>
public sealed class InboxClaimPolicy
{
    /// <summary>Used where no endpoint policy reached the pass: every new row is claimed with the delivered mark.</summary>
    internal static readonly InboxClaimPolicy Unshared = new(remember: false);

    private readonly ConcurrentDictionary<Guid, bool> _lastPassStored = new();
    private readonly bool _remember;

    /// <summary>A policy for one endpoint, with nothing learned yet: rows are claimed with the delivered mark.</summary>
    public InboxClaimPolicy()
        : this(remember: true)
    {
    }

    private InboxClaimPolicy(bool remember) => _remember = remember;

    /// <summary>Whether <paramref name="consumerId"/>'s next new inbox row is claimed with the delivered mark.</summary>
    public bool ClaimsDelivered(Guid consumerId) => !_lastPassStored.GetValueOrDefault(consumerId);

    /// <summary>Learns from a committed pass that ran the consumer whether it stored messages.</summary>
    public void PassCommitted(Guid consumerId, bool storedMessages)
    {
        if (_remember)
        {
            _lastPassStored[consumerId] = storedMessages;
        }
    }

    /// <summary>The policy of the endpoint <paramref name="context"/> arrived on.</summary>
    internal static InboxClaimPolicy Of(ConsumeContext context) =>
        context.TryGetPayload<InboxClaimPolicy>(out var policy) ? policy : Unshared;

    /// <summary>Puts the endpoint's policy on each message's context, for the outbox's passes to find.</summary>
    internal sealed class Payload(InboxClaimPolicy policy) : IFilter<ConsumeContext>
    {
        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
        {
            context.GetOrAddPayload(() => policy);
            return next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("inboxClaimPolicy");
    }
}
