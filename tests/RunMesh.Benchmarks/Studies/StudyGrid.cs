using System.Text.Json.Nodes;

namespace RunMesh.Benchmarks.Studies;

/// <summary>
/// A study of N runs as a grid: one factor, <c>inputs.feature</c>, with <see cref="Conditions"/> levels, times
/// <see cref="Replicates"/> replicates (N = conditions × replicates, the grid as square as N's divisors allow: 10,000 is
/// 100 × 100, 500 is 20 × 25).
/// </summary>
internal sealed record StudyGrid(int Conditions, int Replicates)
{
    public int Runs => Conditions * Replicates;

    public static StudyGrid Of(int runs)
    {
        var conditions = Enumerable.Range(1, (int)Math.Sqrt(runs)).Last(d => runs % d == 0);
        return new StudyGrid(conditions, runs / conditions);
    }

    /// <summary>
    /// The definition: <paramref name="template"/> over the grid, at most <paramref name="parallelism"/> runs in flight,
    /// labelled <c>bench: {label}</c> (every run carries it too, with the planner's <c>studyId</c>).
    /// </summary>
    public JsonObject Definition(string name, string template, int parallelism, string label) => new()
    {
        ["name"] = name,
        ["template"] = template,
        ["inputs"] = new JsonObject { ["feature"] = name },
        ["factors"] = new JsonObject
        {
            ["inputs.feature"] = new JsonArray([.. Enumerable.Range(1, Conditions).Select(c => (JsonNode?)$"{name} feature {c}")]),
        },
        ["replicates"] = Replicates,
        ["parallelism"] = parallelism,
        ["labels"] = new JsonObject { ["bench"] = label },
    };

    public override string ToString() => $"{Conditions} conditions × {Replicates} replicates";
}
