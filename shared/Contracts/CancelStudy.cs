namespace RunMesh.Contracts;

/// <summary>
/// Command: cancel a study. Consumed by the planner: it starts no more runs, cancels its running runs
/// (<see cref="CancelRun"/>) and ends <see cref="StudyState.Cancelled"/>. Other systems may publish it to the exchange
/// <c>RunMesh.Contracts:CancelStudy</c>.
/// </summary>
public sealed record CancelStudy
{
    /// <summary>The study to cancel. The correlation id.</summary>
    public required Guid StudyId { get; init; }

    /// <summary>Who asked for the cancellation. <see langword="null"/> (the default) when the sender did not say.</summary>
    public string? RequestedBy { get; init; }
}
