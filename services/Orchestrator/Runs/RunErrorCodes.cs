namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// Failure codes the orchestrator uses beside the ones DESIGN.md names (<see cref="RunMesh.Contracts.ErrorCodes"/>).
/// </summary>
public static class RunErrorCodes
{
    /// <summary>
    /// A phase's instructions reference a value an earlier artifact does not have (e.g. <c>{{phases.spec.output.title}}</c>
    /// when the artifact has no <c>title</c>). Inputs are checked at admission; outputs only exist at run time.
    /// </summary>
    public const string InstructionsUnrenderable = "instructions_unrenderable";

    /// <summary>The run was cancelled (<c>RunFinished.Error</c> carries the reason).</summary>
    public const string RunCancelled = "run_cancelled";
}
