using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>
/// Builds the public <see cref="RunFinished"/>: of a run that just reached a terminal state, or of a start that was refused
/// (no run exists). Only <see cref="RunEffects"/> publishes it.
/// </summary>
internal static class RunFinishedMessage
{
    public static RunFinished From(RunRecord run, RunState state, IReadOnlyList<RunEventSummary> lastEvents, DateTimeOffset now) => new()
    {
        RunId = run.CorrelationId,
        Generation = run.Generation,
        State = state,
        Error = run.Error,
        Template = run.Definition.Template,
        InputBundleHash = run.Definition.InputBundleHash,
        Inputs = run.Definition.Inputs.DeepClone().AsObject(),
        Model = run.Definition.Model.DeepClone().AsObject(),
        Options = run.Definition.Options,
        ParentRunId = run.Definition.ParentRunId,
        Depth = run.Definition.Depth,
        Phases = run.Phases.Select((phase, index) => new PhaseSummary
        {
            Key = phase.Key,
            State = phase.State,
            InstructionsDigest = phase.InstructionsDigest,
            SchemaDigest = run.Definition.Phases[index].SchemaDigest,
            ArtifactDigest = phase.ArtifactDigest,
            Attempts = phase.Attempts.Select(attempt => new AttemptSummary
            {
                Attempt = attempt.Attempt,
                ExecutionId = attempt.ExecutionId,
                Outcome = attempt.Outcome ?? AttemptOutcome.Cancelled,
                ErrorKind = attempt.ErrorKind,
                StartedAt = attempt.StartedAt ?? attempt.DispatchedAt,
                EndedAt = attempt.EndedAt ?? now,
                Usage = attempt.Usage,
            }).ToList(),
            Approvals = [.. phase.Approvals],
        }).ToList(),
        LastEvents = lastEvents,
        StartedAt = run.StartedAt,
        EndedAt = run.EndedAt ?? now,
        TotalUsage = run.Usage,
        Labels = run.Definition.Options.Labels,
        ApprovalGates = run.Definition.Phases.Sum(phase => phase.Gates.Count),
    };

    /// <summary>
    /// The failed <see cref="RunFinished"/> of a <see cref="StartRun"/> that could not be admitted (unknown template,
    /// invalid inputs): no run was created, so it has no template hash, input bundle, phases or gates.
    /// </summary>
    public static RunFinished Refused(StartRun start, RunError error, bool echoInputs, DateTimeOffset now) => new()
    {
        RunId = start.RunId,
        Generation = 1,
        State = RunState.Failed,
        Error = error,
        Template = new TemplateRef { Name = start.Template, Version = 0, Hash = "" },
        InputBundleHash = "",
        Inputs = echoInputs ? start.Inputs : [],
        Model = echoInputs ? start.Model : [],
        Options = start.Options,
        ParentRunId = start.ParentRunId,
        EndedAt = now,
        Labels = start.Options.Labels,
        ApprovalGates = 0, // no run was created, so nothing can have asked for an approval
    };
}
