namespace RunMesh.Contracts;

/// <summary>
/// Event: a study reached a terminal state. Published by the planner each time the study ends (a resumed study ends
/// again). Other systems may bind a queue to <c>RunMesh.Contracts:StudyFinished</c>.
/// </summary>
public sealed record StudyFinished
{
    /// <summary>The study. The correlation id.</summary>
    public required Guid StudyId { get; init; }

    /// <summary>
    /// The terminal state: <see cref="StudyState.Completed"/>, <see cref="StudyState.Failed"/>,
    /// <see cref="StudyState.Cancelled"/> or <see cref="StudyState.BudgetExhausted"/>.
    /// </summary>
    public required StudyState State { get; init; }

    /// <summary>How many of the study's runs are in each state.</summary>
    public required StudyCounts Counts { get; init; }

    /// <summary>What the study's runs consumed together.</summary>
    public Usage Usage { get; init; } = new();

    /// <summary>Why the study could not start, for a definition with problems (no study exists); otherwise <see langword="null"/>.</summary>
    public IReadOnlyList<string>? Problems { get; init; }
}

/// <summary>How many of a study's runs are in each state.</summary>
public sealed record StudyCounts
{
    /// <summary>Planned runs not started yet (or to be started again on a resume).</summary>
    public int Pending { get; init; }

    /// <summary>Runs started and not ended.</summary>
    public int Running { get; init; }

    /// <summary>Runs that completed.</summary>
    public int Completed { get; init; }

    /// <summary>Runs that ended failed or aborted.</summary>
    public int Failed { get; init; }

    /// <summary>Runs that ended cancelled.</summary>
    public int Cancelled { get; init; }
}
