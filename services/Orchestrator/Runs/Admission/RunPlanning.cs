using System.Text.Json.Nodes;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>Turns a validated template's phases into the plan a run executes (a snapshot: templates are immutable anyway).</summary>
internal static class RunPlanning
{
    public static IReadOnlyList<PhasePlan> PhasesOf(WorkflowTemplate template) =>
        template.Phases.Select(phase => new PhasePlan
        {
            Key = phase.Key,
            Executor = phase.Executor,
            Settings = phase.SettingsToJsonObject(),
            Instructions = phase.Instructions,
            ArtifactSchema = JsonObject.Create(phase.ArtifactSchema.Json)!.DeepClone().AsObject(),
            SchemaDigest = Digest.Of(phase.ArtifactSchema.Json),
            RepairAttempts = phase.RepairAttempts,
            MaxAttempts = phase.Retry.MaxAttempts,
            BackoffSeconds = phase.Retry.BackoffSeconds,
            BackoffMultiplier = phase.Retry.BackoffMultiplier,
            TimeoutSeconds = phase.TimeoutSeconds,
            Gates = phase.Gates.Select(g => new GatePlan(g.Name, g.ExpiresAfterSeconds)).ToList(),
        }).ToList();
}
