using RunMesh.Contracts;
using RunMesh.Hashing;

namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>Builds the <see cref="ChildRunFinished"/> a parent learns a child's end from. Only <see cref="Lifecycle.RunEffects"/> publishes it.</summary>
internal static class ChildRunFinishedMessage
{
    /// <summary>
    /// <paramref name="run"/> ended in <paramref name="state"/>; <paramref name="childRunId"/> is the id its parent
    /// knows it by (the run's own, or an alias of a start that was joined to it).
    /// </summary>
    public static ChildRunFinished Of(RunRecord run, RunState state, Guid parentRunId, Guid childRunId, DateTimeOffset now)
    {
        var artifact = state == RunState.Completed && run.Phases.Count > 0 ? run.Outputs[run.Phases[^1].Key]?.DeepClone() : null;
        return new ChildRunFinished
        {
            RunId = parentRunId,
            ChildRunId = childRunId,
            State = state,
            Error = run.Error,
            Usage = run.Usage,
            Artifact = artifact,
            ArtifactDigest = artifact is null ? null : run.Phases[^1].ArtifactDigest,
            Template = run.Definition.Template,
            InputsDigest = Digest.Of(run.Definition.Inputs),
            EndedAt = run.EndedAt ?? now,
        };
    }

    /// <summary>A child start that admission refused: no run exists.</summary>
    public static ChildRunFinished Refused(StartRun start, Guid parentRunId, RunError error, DateTimeOffset now) => new()
    {
        RunId = parentRunId,
        ChildRunId = start.RunId,
        State = RunState.Failed,
        Error = error,
        EndedAt = now,
    };
}
