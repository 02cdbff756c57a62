using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>How an execution ended: one result to publish, or nothing (cancelled by <c>CancelPhase</c>).</summary>
internal sealed record ExecutionOutcome
{
    private ExecutionOutcome(PhaseSucceeded? succeeded, PhaseAttemptFailed? failed)
    {
        Succeeded = succeeded;
        Failed = failed;
    }

    /// <summary>The success to publish.</summary>
    public PhaseSucceeded? Succeeded { get; }

    /// <summary>The failure to publish.</summary>
    public PhaseAttemptFailed? Failed { get; }

    /// <summary>Cancelled: the run is cancelled, nothing is published.</summary>
    public bool IsCancelled => Succeeded is null && Failed is null;

    /// <summary>The phase succeeded.</summary>
    public static ExecutionOutcome Success(PhaseSucceeded message) => new(message, null);

    /// <summary>The attempt failed.</summary>
    public static ExecutionOutcome Failure(PhaseAttemptFailed message) => new(null, message);

    /// <summary>The execution was cancelled.</summary>
    public static ExecutionOutcome Cancelled { get; } = new(null, null);
}
