namespace RunMesh.Contracts;

/// <summary>
/// Command: cancel a run. Consumed by the orchestrator; a non-terminal run ends <see cref="RunState.Cancelled"/>,
/// a running executor is stopped through <see cref="CancelPhase"/>, and late results are ignored.
/// </summary>
public sealed record CancelRun
{
    /// <summary>The run to cancel. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Why the run is cancelled, recorded in its event log. <see langword="null"/> (the default) when none was given.</summary>
    public string? Reason { get; init; }

    /// <summary>Who asked for the cancellation. <see langword="null"/> (the default) when the sender did not say.</summary>
    public string? RequestedBy { get; init; }
}
