using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Approval.Persistence;
using RunMesh.Contracts;

namespace RunMesh.Approval.Approvals;

/// <summary>What became of a decision an approver posted.</summary>
public abstract record DecisionOutcome
{
    private DecisionOutcome()
    {
    }

    /// <summary>This call decided the request (and published <see cref="ApprovalDecided"/>).</summary>
    public sealed record Decided(ApprovalRequestRow Request) : DecisionOutcome;

    /// <summary>The request was already decided with the same action: the earlier decision stands and is answered again.</summary>
    public sealed record AlreadyDecided(ApprovalRequestRow Request) : DecisionOutcome;

    /// <summary>The request was decided otherwise, expired or closed: nothing changed.</summary>
    public sealed record Conflict(ApprovalRequestRow Request) : DecisionOutcome;

    /// <summary>No such request.</summary>
    public sealed record NotFound : DecisionOutcome;
}

/// <summary>
/// Decides approval requests: exactly one decision per request, however many approvers post at once. The decision is
/// a conditional <c>UPDATE … WHERE state = 'pending'</c> (the row lock makes a concurrent second update wait and then
/// find the row no longer pending), and its <see cref="ApprovalDecided"/> goes into the bus outbox in the same
/// transaction, so the decision and its message are stored together or not at all.
/// </summary>
public sealed class ApprovalDecisions(ApprovalDbContext db, IPublishEndpoint publish, TimeProvider clock)
{
    /// <summary>Decides request <paramref name="requestId"/> with <paramref name="action"/> on behalf of <paramref name="decidedBy"/>.</summary>
    public async Task<DecisionOutcome> DecideAsync(
        Guid requestId, ApprovalAction action, string decidedBy, string? comment, CancellationToken cancellationToken)
    {
        var state = StateOf(action);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var updated = await db.Requests
            .Where(r => r.RequestId == requestId && r.State == ApprovalStates.Pending && (r.ExpiresAt == null || r.ExpiresAt > now))
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.State, state)
                .SetProperty(r => r.DecidedBy, decidedBy)
                .SetProperty(r => r.Comment, comment)
                .SetProperty(r => r.DecidedAt, now), cancellationToken);
        var request = await db.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.RequestId == requestId, cancellationToken);
        if (request is null)
        {
            return new DecisionOutcome.NotFound();
        }

        if (updated == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return request.State == state ? new DecisionOutcome.AlreadyDecided(request) : new DecisionOutcome.Conflict(request);
        }

        await publish.Publish(DecidedMessage(request, action), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new DecisionOutcome.Decided(request);
    }

    /// <summary>The state a request takes when decided with <paramref name="action"/>.</summary>
    public static string StateOf(ApprovalAction action) => action switch
    {
        ApprovalAction.Approve => ApprovalStates.Approved,
        ApprovalAction.Reject => ApprovalStates.Rejected,
        ApprovalAction.Abort => ApprovalStates.Aborted,
        ApprovalAction.Expire => ApprovalStates.Expired,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown approval action."),
    };

    /// <summary>The <see cref="ApprovalDecided"/> for a request that now holds its decision.</summary>
    public static ApprovalDecided DecidedMessage(ApprovalRequestRow request, ApprovalAction action) => new()
    {
        RequestId = request.RequestId,
        RunId = request.RunId,
        PhaseKey = request.PhaseKey,
        Attempt = request.Attempt,
        Gate = request.Gate,
        ArtifactDigest = request.ArtifactDigest,
        Action = action,
        DecidedBy = request.DecidedBy,
        Comment = request.Comment,
        DecidedAt = request.DecidedAt ?? throw new InvalidOperationException($"Request {request.RequestId} has no decision time."),
    };
}
