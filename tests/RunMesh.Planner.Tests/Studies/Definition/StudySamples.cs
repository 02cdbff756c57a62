using System.Text.Json.Nodes;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Tests.Studies.Definition;

/// <summary>Study definitions the tests share: DESIGN.md's example, in YAML and (reordered, respelled) in JSON.</summary>
internal static class StudySamples
{
    public const string ToneAblationYaml = """
        name: tone-ablation
        template: spec-review@3
        inputs: { feature: "dark mode" }          # base inputs of every run
        model: { name: mock }                     # base model of every run
        factors:                                  # full factorial; each key is a path under inputs. or model.
          inputs.tone: [formal, casual]
          model.temperature: [0, 0.7]
        exclude:                                  # conditions left out: each is a partial assignment
          - { inputs.tone: casual, model.temperature: 0 }
        replicates: 3
        seed: 7                                   # study seed
        parallelism: 4                            # runs of this study in flight at once (default 4, max 256)
        maxRuns: 50                               # refused (400) when the plan has more runs
        failFast: false                           # true: the first failed run cancels the rest and the study fails
        budget: { maxCostUsd: 10 }                # no new run starts once the study's runs have spent this; running ones finish
        labels: { team: research }
        """;

    /// <summary>The same definition in JSON: keys in another order, numbers spelled otherwise (<c>0.70</c>, <c>7.0</c>, <c>1e1</c>).</summary>
    public const string ToneAblationJson = """
        {
          "labels": { "team": "research" },
          "budget": { "maxCostUsd": 1e1 },
          "failFast": false,
          "maxRuns": 50,
          "parallelism": 4,
          "seed": 7.0,
          "replicates": 3,
          "exclude": [ { "model.temperature": 0, "inputs.tone": "casual" } ],
          "factors": { "inputs.tone": ["formal", "casual"], "model.temperature": [0, 0.70] },
          "model": { "name": "mock" },
          "inputs": { "feature": "dark mode" },
          "template": "spec-review@3",
          "name": "tone-ablation"
        }
        """;

    /// <summary>The canonical definition of the example (RFC 8785: keys sorted, shortest number form), written out by hand.</summary>
    public const string ToneAblationCanonical =
        """{"budget":{"maxCostUsd":10},"exclude":[{"inputs.tone":"casual","model.temperature":0}],"factors":{"inputs.tone":["formal","casual"],"model.temperature":[0,0.7]},"failFast":false,"inputs":{"feature":"dark mode"},"labels":{"team":"research"},"maxRuns":50,"model":{"name":"mock"},"name":"tone-ablation","parallelism":4,"replicates":3,"seed":7,"template":"spec-review@3"}""";

    public static JsonObject ToneAblation() => Json(ToneAblationJson);

    public static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    /// <summary>A valid definition with <paramref name="fields"/> (a JSON object's members, without braces) added or replaced.</summary>
    public static JsonObject Minimal(string fields = "")
    {
        var definition = Json("""{ "name": "minimal", "template": "spec-review@3" }""");
        foreach (var (key, value) in Json("{" + fields + "}"))
        {
            definition[key] = value?.DeepClone();
        }

        return definition;
    }

    public static async Task<StudyPlan> PlanAsync(JsonObject definition, JsonObject? inputSchema = null, StudyLimits? limits = null)
    {
        var result = await StudyPlanner.PlanAsync(definition, inputSchema, limits ?? new StudyLimits());
        result.Problems.ShouldBeEmpty();
        return result.Plan.ShouldNotBeNull();
    }
}
