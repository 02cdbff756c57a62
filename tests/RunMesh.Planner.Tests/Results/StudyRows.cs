using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using RunMesh.Planner.Studies;

namespace RunMesh.Planner.Tests.Results;

/// <summary>Hand-made rows of a study's results table.</summary>
internal static class StudyRows
{
    public static readonly Guid StudyId = Guid.Parse("5b7f7c2e-3c1a-5e7b-9a41-1f0e6a2d9c10");

    public static StudyRunRow Row(
        string conditionId,
        int planIndex,
        string state,
        long? durationMs = null,
        decimal costUsd = 0m,
        long inputTokens = 0,
        long outputTokens = 0,
        JsonObject? factors = null,
        int replicate = 1,
        string? errorCode = null,
        string? finalArtifactDigest = null) => new()
        {
            StudyId = StudyId,
            RunId = Guid.NewGuid(),
            PlanIndex = planIndex,
            ConditionId = conditionId,
            Factors = factors ?? new JsonObject { ["inputs.tone"] = conditionId },
            Replicate = replicate,
            Seed = 1_000_000L + planIndex,
            State = state,
            ErrorCode = errorCode,
            DurationMs = durationMs,
            InputTokens = inputTokens,
            OutputTokens = outputTokens,
            CostUsd = costUsd,
            FinalArtifactDigest = finalArtifactDigest,
        };

    /// <summary>Factors of every kind a definition may give: a string, a fraction, an integer, a boolean and an object.</summary>
    public static JsonObject Factors(int condition) => new()
    {
        ["inputs.tone"] = condition % 2 == 0 ? "formal" : "say \"hi\", then café",
        ["model.temperature"] = condition % 3 == 0 ? 0 : 0.7,
        ["model.maxTokens"] = 100 * (condition + 1),
        ["inputs.strict"] = condition % 2 == 1,
        ["inputs.options"] = new JsonObject { ["depth"] = condition, ["tags"] = new JsonArray("a", "b") },
    };

    public static readonly string[] FactorKeys = ["inputs.tone", "model.temperature", "model.maxTokens", "inputs.strict", "inputs.options"];

    /// <summary>A study's rows over six conditions with every kind of value, missing ones included.</summary>
    public static List<StudyRunRow> Mixed(int count)
    {
        var rows = new List<StudyRunRow>(count);
        for (var i = 0; i < count; i++)
        {
            var condition = i % 6;
            var completed = i % 4 != 3;
            rows.Add(Row(
                conditionId: $"c{condition:x12}",
                planIndex: i,
                state: completed ? "completed" : "failed",
                durationMs: i % 5 == 4 ? null : 1_000 + i,
                costUsd: 0.0123m * (i + 1),
                inputTokens: 10L * i,
                outputTokens: 3L * i,
                factors: Factors(condition),
                replicate: (i / 6) + 1,
                errorCode: completed ? null : "phase_failed",
                finalArtifactDigest: completed ? $"sha256:{i:x64}" : null));
        }

        return rows;
    }

    public static async IAsyncEnumerable<StudyRunRow> Stream(IEnumerable<StudyRunRow> rows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return row;
        }
    }
}
