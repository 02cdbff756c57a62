using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Approval.Persistence;
using RunMesh.Contracts;

namespace RunMesh.Approval.Approvals;

/// <summary>
/// Stores an <see cref="ApprovalRequested"/> once per idempotency key (<c>{RunId}:{PhaseKey}:{Attempt}:{Gate}</c>): a
/// redelivered or re-published request changes nothing. A request whose run already finished (a
/// <see cref="RunFinished"/> of the same or a later generation came first) is stored <c>closed</c>.
/// </summary>
internal sealed partial class ApprovalRequestedConsumer(ApprovalDbContext db, TimeProvider clock, ILogger<ApprovalRequestedConsumer> logger)
    : IConsumer<ApprovalRequested>
{
    public async Task Consume(ConsumeContext<ApprovalRequested> context)
    {
        var message = context.Message;
        var cancellationToken = context.CancellationToken;
        await RunLock.TakeAsync(db, message.RunId, cancellationToken);

        if (await db.Requests.AnyAsync(r => r.IdempotencyKey == message.IdempotencyKey || r.RequestId == message.RequestId, cancellationToken))
        {
            LogDuplicate(logger, message.RequestId, message.IdempotencyKey);
            return;
        }

        var finished = await db.RunEndings.AsNoTracking()
            .Where(e => e.RunId == message.RunId)
            .Select(e => (int?)e.Generation)
            .SingleOrDefaultAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var closed = finished >= message.Generation;
        db.Requests.Add(new ApprovalRequestRow
        {
            RequestId = message.RequestId,
            IdempotencyKey = message.IdempotencyKey,
            RunId = message.RunId,
            Generation = message.Generation,
            PhaseKey = message.PhaseKey,
            Attempt = message.Attempt,
            Gate = message.Gate,
            ArtifactDigest = message.ArtifactDigest,
            ArtifactPreview = message.ArtifactPreview?.ToJsonString(),
            ExpiresAt = message.ExpiresAt,
            RequestedAt = now,
            State = closed ? ApprovalStates.Closed : ApprovalStates.Pending,
            DecidedAt = closed ? now : null,
        });
        await db.SaveChangesAsync(cancellationToken);
        LogStored(logger, message.RequestId, message.RunId, message.PhaseKey, message.Gate, closed ? ApprovalStates.Closed : ApprovalStates.Pending);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval request {RequestId} already stored (key {IdempotencyKey}); nothing to do")]
    private static partial void LogDuplicate(ILogger logger, Guid requestId, string idempotencyKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval request {RequestId} for run {RunId} phase {PhaseKey} gate {Gate} stored {State}")]
    private static partial void LogStored(ILogger logger, Guid requestId, Guid runId, string phaseKey, string gate, string state);
}
