namespace RunMesh.Orchestrator.Runs;

// Messages the orchestrator sends to its own saga. They are not public contracts (shared/Contracts holds those):
// nobody else produces or consumes them.

/// <summary>The deadline scan: a retry's backoff has elapsed.</summary>
public sealed record RetryBackoffElapsed
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The phase to retry.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt the retry dispatches.</summary>
    public required int Attempt { get; init; }
}

/// <summary>The deadline scan: the run's own timeout has passed.</summary>
public sealed record RunTimedOut
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The generation the deadline was set for (a retried run gets a new deadline).</summary>
    public required int Generation { get; init; }
}
