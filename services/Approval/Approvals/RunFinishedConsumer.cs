using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Approval.Persistence;
using RunMesh.Contracts;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Approval.Approvals;

/// <summary>
/// A run ended: its requests still pending of that generation or an earlier one become <c>closed</c> (nobody can
/// decide them any more), and the ending is remembered so a request that arrives late is stored closed too.
/// </summary>
/// <remarks>
/// An <see cref="IIdempotentConsumer"/>: it runs without the inbox/outbox, behind the transient retry only. It sends
/// nothing, and what it writes is idempotent (a pending request is closed once; the ending keeps the highest
/// generation), so a redelivered message has no second effect. That lets a run whose template declares no gate —
/// most runs — cost the approval service no transaction at all, where the inbox would have cost it one per run.
/// </remarks>
internal sealed partial class RunFinishedConsumer(ApprovalDbContext db, TimeProvider clock, ILogger<RunFinishedConsumer> logger)
    : IConsumer<RunFinished>, IIdempotentConsumer
{
    /// <summary>The endpoint's queue: the report service consumes RunFinished on a queue of its own.</summary>
    public const string EndpointName = "approval-run-finished";

    public async Task Consume(ConsumeContext<RunFinished> context)
    {
        var message = context.Message;
        if (message.ApprovalGates == 0)
        {
            // The run never asked for an approval: no request of it exists, and none can arrive later.
            return;
        }

        var cancellationToken = context.CancellationToken;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await RunLock.TakeAsync(db, message.RunId, cancellationToken);

        var now = clock.GetUtcNow();
        var ending = await db.RunEndings.SingleOrDefaultAsync(e => e.RunId == message.RunId, cancellationToken);
        if (ending is null)
        {
            db.RunEndings.Add(new RunEndingRow { RunId = message.RunId, Generation = message.Generation, RecordedAt = now });
        }
        else if (message.Generation > ending.Generation)
        {
            ending.Generation = message.Generation;
            ending.RecordedAt = now;
        }

        var closed = await db.Requests
            .Where(r => r.RunId == message.RunId && r.State == ApprovalStates.Pending && r.Generation <= message.Generation)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, ApprovalStates.Closed).SetProperty(r => r.DecidedAt, now), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (closed > 0)
        {
            LogClosed(logger, closed, message.RunId, message.Generation);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} pending approval request(s) of run {RunId}: generation {Generation} ended")]
    private static partial void LogClosed(ILogger logger, int count, Guid runId, int generation);
}
