namespace RunMesh.Architecture.Tests;

/// <summary>
/// Which contracts each service publishes. MassTransit registers what a service consumes, not what it publishes, so
/// this table is kept by hand; the tests hold it equal to the write permissions in deploy/rabbitmq/permissions.conf,
/// which the broker enforces on every mesh the end-to-end tests start (a publish outside them is refused).
/// </summary>
public static class PublishedMessages
{
    public const string OutsideSystems = "outside systems";

    public static readonly IReadOnlyDictionary<string, string[]> ByService = new Dictionary<string, string[]>
    {
        ["gateway"] = [],
        // PhaseTimedOut: the deadline scan; StartRun and CancelRun: a run phase starts its child runs and cancels those
        // still running when it ends (and a run cancelled over REST cancels its children in the request's transaction).
        // Not RetryRun: POST /api/runs/{runId}/retry retries the run in the request's own transaction.
        ["orchestrator"] = ["ApprovalRequested", "CancelPhase", "CancelRun", "ExecutePhase", "PhaseTimedOut", "RunFinished", "StartRun"],
        ["phase-worker"] = ["PhaseAttemptFailed", "PhaseSucceeded"],
        // ApprovalDecided: a decision over REST, or the expiry scan.
        ["approval"] = ["ApprovalDecided"],
        ["report"] = ["ReportReady"],
        // StartRun and CancelRun: a study starts its runs and cancels them (failFast, cancel); DescribeTemplate: admission;
        // CancelStudy: POST /api/studies/{id}/cancel hands the command to the saga.
        ["planner"] = ["CancelRun", "CancelStudy", "DescribeTemplate", "StartRun", "StudyFinished"],
        // The public bus contract (docs/bus-contract.md).
        [OutsideSystems] = ["CancelRun", "CancelStudy", "RetryRun", "StartRun", "StartStudy"],
    };
}
