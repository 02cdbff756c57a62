namespace RunMesh.Contracts;

/// <summary>
/// The stable failure codes a run ends with or a start is refused with (<see cref="RunError.Code"/>, and the problem
/// <c>code</c> of the runs API), spelled once for every service.
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
    /// A <c>run</c> phase's child runs did not all complete within the phase's attempts (the error names each child that
    /// did not and its code), or its children could not be started (an unknown child template, a <c>forEach</c> value
    /// that is not an array).
    /// </summary>
    public const string ChildFailed = "child_failed";

    /// <summary>A child run was refused because its parent had already ended when the child reached admission.</summary>
    public const string ParentRunEnded = "parent_run_ended";

    /// <summary>
    /// A phase's rendered instructions are larger than the orchestrator's limit: refused at admission (422) when the
    /// instructions reference only inputs, else the phase fails before its <see cref="ExecutePhase"/> is sent.
    /// </summary>
    public const string InstructionsTooLarge = "instructions_too_large";

    /// <summary>
    /// A phase's instructions reference a value an earlier artifact does not have (e.g. <c>{{phases.spec.output.title}}</c>
    /// when the artifact has no <c>title</c>). Inputs are checked at admission; outputs only exist at run time.
    /// </summary>
    public const string InstructionsUnrenderable = "instructions_unrenderable";

    /// <summary>The run was cancelled (<see cref="RunError.Message"/> carries the reason).</summary>
    public const string RunCancelled = "run_cancelled";

    /// <summary>A start names a template that is not registered.</summary>
    public const string TemplateNotFound = "template_not_found";

    /// <summary>A start's inputs, model or options are not acceptable for its template.</summary>
    public const string InvalidInputs = "invalid_inputs";

    /// <summary>A start's budget is not acceptable (e.g. above the template's).</summary>
    public const string InvalidBudget = "invalid_budget";

    /// <summary>A start's <c>parentRunId</c> names no run.</summary>
    public const string ParentRunNotFound = "parent_run_not_found";

    /// <summary>A child run would be deeper than its lineage's <c>maxDepth</c>.</summary>
    public const string MaxDepthExceeded = "max_depth_exceeded";

    /// <summary>No run has the id a request names (404).</summary>
    public const string RunNotFound = "run_not_found";

    /// <summary>A cancel of a run that has ended (409).</summary>
    public const string RunNotCancellable = "run_not_cancellable";

    /// <summary>A retry of a run that has not failed, or whose inputs an identical run holds meanwhile (409).</summary>
    public const string RunNotRetryable = "run_not_retryable";
}
