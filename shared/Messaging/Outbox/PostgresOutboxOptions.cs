namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Settings of the Postgres inbox/outbox of one DbContext (named options keyed by the DbContext type, so two
/// DbContexts never overwrite each other's settings).
/// </summary>
public sealed class PostgresOutboxOptions
{
    /// <summary>How long a consumed message id is remembered, so a redelivered duplicate is dropped (MassTransit: 30 min).</summary>
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the delivery and cleanup services look for work.</summary>
    public TimeSpan QueryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many rows one sweep takes at most.</summary>
    public int QueryMessageLimit { get; set; } = 100;

    /// <summary>Upper bound of one sweep's database work.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many stored messages of one inbox row the delivery service sends per transaction.</summary>
    public int MessageDeliveryLimit { get; set; } = 100;

    /// <summary>Upper bound of one send to the broker.</summary>
    public TimeSpan MessageDeliveryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after its commit an undelivered inbox row or bus outbox is left to the code that committed it before the
    /// delivery service takes it over (a crash between commit and delivery, a failed send, or a message that went to the
    /// error queue).
    /// </summary>
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the writer of delivered marks waits after the first mark before writing it, so the marks of concurrent
    /// passes share one round trip and one commit. Off every message's path (a pass acknowledges without waiting for its
    /// mark); far below <see cref="SweepAfter"/>, so the delivery service never mistakes a waiting mark for a lost one.
    /// Zero writes each mark as soon as the writer is free.
    /// </summary>
    public TimeSpan DeliveryMarkDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Longest pause after sweeps whose sends all failed (the pause doubles from <see cref="QueryDelay"/>).</summary>
    public TimeSpan MaxFaultBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Inbox rows that never finished delivering (their messages could not be sent for this long) are removed with
    /// their messages, logged as an error. Far longer than the window on purpose: it is a last resort.
    /// </summary>
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Whether the delivery service (hosted) is registered.</summary>
    public bool DeliveryService { get; set; } = true;

    /// <summary>Whether the inbox cleanup service (hosted) is registered.</summary>
    public bool InboxCleanupService { get; set; } = true;

    /// <summary>
    /// Whether the bus outbox is on: outside consumers, the scoped <c>IPublishEndpoint</c>/<c>ISendEndpointProvider</c>
    /// store messages in the DbContext, committed by the caller's <c>SaveChanges</c> (see <see cref="UseBusOutbox"/>).
    /// </summary>
    public bool BusOutbox { get; set; }

    /// <summary>
    /// Whether a committed bus outbox is sent at once from memory by the scope that committed it (the delivery service
    /// only takes it over after <see cref="SweepAfter"/>). Off, only the delivery service sends bus outboxes.
    /// </summary>
    public bool DeliverAtCommit { get; set; } = true;

    /// <summary>Turns the bus outbox on (MassTransit: <c>o.UseBusOutbox()</c>).</summary>
    public void UseBusOutbox() => BusOutbox = true;

    internal static string NameFor(Type dbContext) => dbContext.FullName ?? dbContext.Name;
}
