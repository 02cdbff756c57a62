namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>
/// Internal to the orchestrator: the ends of one or more children of one parent run, gathered by
/// <see cref="ChildRunFinishedBatcher"/> so the parent's saga takes them in one pass (its row lock and rewrite once per
/// batch instead of once per child).
/// </summary>
public sealed record ChildRunsFinished
{
    /// <summary>The parent run (the correlation id).</summary>
    public required Guid RunId { get; init; }

    /// <summary>The children's ends, each with <see cref="ChildRunFinished.RunId"/> equal to <see cref="RunId"/>.</summary>
    public required IReadOnlyList<ChildRunFinished> Children { get; init; }
}
