namespace RunMesh.Contracts;

/// <summary>
/// Event: an attempt passed its durable deadline (schedule-to-start plus the phase's timeout) without a result.
/// Sent by the orchestrator's own deadline scan to its saga; it catches lost workers and backlogs.
/// </summary>
public sealed record PhaseTimedOut
{
    /// <summary>The run the phase belongs to. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The phase's key in the template.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt whose deadline passed.</summary>
    public required int Attempt { get; init; }

    /// <summary>The execution whose deadline passed (<see cref="ExecutePhase.ExecutionId"/>).</summary>
    public required Guid ExecutionId { get; init; }
}
