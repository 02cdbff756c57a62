namespace RunMesh.Contracts;

/// <summary>
/// Command: abort an execution because its run was cancelled. Published (fan-out to every worker) by the
/// orchestrator; the worker running that execution aborts its executor, every other worker ignores it.
/// </summary>
public sealed record CancelPhase
{
    /// <summary>The cancelled run. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The execution to abort (<see cref="ExecutePhase.ExecutionId"/>).</summary>
    public required Guid ExecutionId { get; init; }
}
