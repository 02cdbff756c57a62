namespace RunMesh.Contracts;

/// <summary>
/// Command: retry a <see cref="RunState.Failed"/> run from its failed phase. Consumed by the orchestrator;
/// completed phases are never executed again and attempt numbers keep counting.
/// </summary>
public sealed record RetryRun
{
    /// <summary>The run to retry. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Who asked for the retry. <see langword="null"/> (the default) when the sender did not say.</summary>
    public string? RequestedBy { get; init; }
}
