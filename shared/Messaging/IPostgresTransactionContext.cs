namespace RunMesh.Messaging;

/// <summary>
/// Present as a payload on a consume context whose database transaction is owned by the Postgres outbox.
/// A saga repository that finds it joins that transaction instead of opening its own, so the saga row, the inbox row
/// and the stored outgoing messages commit together.
/// </summary>
public interface IPostgresTransactionContext
{
    /// <summary>The id of the open EF Core transaction.</summary>
    Guid TransactionId { get; }
}
