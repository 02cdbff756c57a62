using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs;

/// <summary>Builds the public <see cref="RunFinished"/> of a run that just reached a terminal state.</summary>
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
        }).ToList(),
        LastEvents = lastEvents,
        StartedAt = run.StartedAt,
        EndedAt = run.EndedAt ?? now,
        TotalUsage = run.Usage,
        Labels = run.Definition.Options.Labels,
        ApprovalGates = run.Definition.Phases.Sum(phase => phase.Gates.Count),
    };
}
