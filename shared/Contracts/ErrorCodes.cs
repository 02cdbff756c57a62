namespace RunMesh.Contracts;

/// <summary>
/// The stable failure codes a run ends with (<see cref="RunError.Code"/>), spelled once for every service.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The phase's artifact was still invalid after its repair attempts were used up.</summary>
    public const string ArtifactInvalidAfterRepair = "artifact_invalid_after_repair";

    /// <summary>The phase's executor failed on every attempt its retry policy allows.</summary>
    public const string ExecutorError = "executor_error";

    /// <summary>The phase timed out on every attempt its retry policy allows.</summary>
    public const string PhaseTimeout = "phase_timeout";

    /// <summary>An approver rejected the phase's artifact at a gate.</summary>
    public const string ApprovalRejected = "approval_rejected";

    /// <summary>An approver aborted the run at a gate.</summary>
    public const string ApprovalAborted = "approval_aborted";

    /// <summary>An approval request expired before anyone decided.</summary>
    public const string ApprovalExpired = "approval_expired";

    /// <summary>The run's cost or tokens exceeded its budget.</summary>
    public const string BudgetExceeded = "budget_exceeded";

    /// <summary>The run's own <c>timeoutSeconds</c> passed before it ended.</summary>
    public const string RunTimeout = "run_timeout";

    /// <summary>
    /// A phase's rendered instructions are larger than the orchestrator's limit: refused at admission (422) when the
    /// instructions reference only inputs, else the phase fails before its <see cref="ExecutePhase"/> is sent.
    /// </summary>
    public const string InstructionsTooLarge = "instructions_too_large";
}
