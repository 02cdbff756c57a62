using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Tests.Infrastructure;

/// <summary>ExecutePhase commands for tests.</summary>
internal static class Commands
{
    public static readonly JsonObject SpecSchema = Schema("""
        {
          "type": "object",
          "required": ["title", "steps"],
          "properties": {
            "title": { "type": "string", "minLength": 3, "maxLength": 80 },
            "steps": { "type": "array", "minItems": 1, "items": { "type": "string" } }
          },
          "additionalProperties": false
        }
        """);

    public static ExecutePhase Execute(
        string executor = "mock",
        JsonObject? settings = null,
        JsonObject? schema = null,
        string instructions = "Write a spec for a rate limiter",
        int attempt = 1,
        int timeoutSeconds = 30,
        JsonObject? model = null,
        IReadOnlyList<string>? repairFeedback = null) => new()
        {
            RunId = Guid.NewGuid(),
            PhaseKey = "spec",
            Attempt = attempt,
            ExecutionId = Guid.NewGuid(),
            Executor = executor,
            ExecutorSettings = settings ?? [],
            Instructions = instructions,
            Inputs = new JsonObject { ["feature"] = "a rate limiter" },
            ReferencedOutputs = [],
            ArtifactSchema = schema ?? (JsonObject)SpecSchema.DeepClone(),
            TimeoutSeconds = timeoutSeconds,
            Model = model ?? [],
            RepairFeedback = repairFeedback,
        };

    public static JsonObject Schema(string json) => JsonNode.Parse(json)!.AsObject();
}
