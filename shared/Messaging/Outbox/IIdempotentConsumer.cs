namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Marks a consumer whose effect is exactly once on its own: every write is one idempotent statement (an
/// <c>ON CONFLICT DO NOTHING</c> insert, an update guarded by what it sets), and whatever it sends, its receiver
/// applies once. <c>UsePostgresOutbox</c> runs such a consumer outside the inbox/outbox transaction, behind the
/// transient retry only: the inbox's claim, commit and delivery mark would buy nothing the statement does not give.
/// </summary>
/// <remarks>
/// Each consumer states its own argument in its remarks and proves it with a duplicate-delivery test. Sagas are never
/// idempotent this way and always run behind the inbox. With MassTransit.EntityFrameworkCore's
/// <c>UseEntityFrameworkOutbox</c> in place of ours, the marker would be ignored: the consumer would be slower, not wrong.
/// </remarks>
public interface IIdempotentConsumer
{
}
