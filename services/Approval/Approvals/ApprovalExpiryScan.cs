using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Approval.Persistence;
using RunMesh.Contracts;
using RunMesh.Hosting.Background;

namespace RunMesh.Approval.Approvals;

/// <summary>
/// Expires overdue requests. Every <see cref="ApprovalOptions.ExpiryScanIntervalMilliseconds"/> it claims pending
/// requests whose <c>expires_at</c> has passed with <c>FOR UPDATE SKIP LOCKED</c> (replicas never claim the same row;
/// a decision being written holds the row and is skipped), marks them <c>expired</c> and publishes
/// <see cref="ApprovalDecided"/> with <see cref="ApprovalAction.Expire"/> through the bus outbox in the same
/// transaction. The deadline is in the row, so a restart loses nothing: an overdue request is expired on the next scan.
/// </summary>
internal sealed partial class ApprovalExpiryScan(
    IServiceScopeFactory scopes,
    IOptions<ApprovalOptions> options,
    TimeProvider clock,
    ILogger<ApprovalExpiryScan> logger) : PeriodicScan(clock, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.ExpiryScanIntervalMilliseconds);

    protected override int BatchSize => options.Value.ExpiryScanBatchSize;

    /// <summary>Expires the requests overdue now; returns how many.</summary>
    public override async Task<int> ScanOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApprovalDbContext>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = Clock.GetUtcNow();
        var overdue = await db.Requests.FromSqlInterpolated(
                $"""
                SELECT * FROM approval_requests
                WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= {now}
                ORDER BY expires_at LIMIT {options.Value.ExpiryScanBatchSize} FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        if (overdue.Count == 0)
        {
            return 0;
        }

        foreach (var request in overdue)
        {
            request.State = ApprovalStates.Expired;
            request.DecidedAt = now;
            await publish.Publish(ApprovalDecisions.DecidedMessage(request, ApprovalAction.Expire), cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogExpired(Logger, overdue.Count);
        return overdue.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} overdue approval request(s)")]
    private static partial void LogExpired(ILogger logger, int count);
}
