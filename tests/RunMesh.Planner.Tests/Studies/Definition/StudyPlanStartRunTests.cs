using System.Text.Json.Nodes;
using RunMesh.Hashing;

namespace RunMesh.Planner.Tests.Studies.Definition;

public sealed class StudyPlanStartRunTests
{
    [Fact]
    public async Task A_run_starts_with_the_base_inputs_and_model_and_its_condition_and_seed_set_in_them()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.ToneAblation());
        var run = plan.Runs[4]; // second condition (formal, 0.7), replicate 2

        var start = plan.StartRunFor(run, requestedBy: "ada");

        start.RunId.ShouldBe(run.RunId);
        start.Template.ShouldBe("spec-review@3");
        start.Inputs.ToJsonString().ShouldBe("""{"feature":"dark mode","tone":"formal"}""");
        start.Model.ToJsonString().ShouldBe($$"""{"name":"mock","temperature":0.7,"seed":{{run.Seed}}}""");
        start.Options.Labels.ShouldBe(new Dictionary<string, string>
        {
            ["team"] = "research",
            ["studyId"] = plan.StudyId.ToString(),
            ["conditionId"] = run.ConditionId,
            ["replicate"] = "2",
        });
        start.Options.Force.ShouldBeFalse();
        start.RequestedBy.ShouldBe("ada");
    }

    [Fact]
    public async Task Factor_paths_into_nested_objects_keep_their_siblings_and_create_what_is_missing()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.Minimal("""
            "inputs": { "style": { "length": "short" }, "feature": "x" },
            "model": { "name": "mock" },
            "factors": {
              "inputs.style.tone": ["formal"],
              "inputs.audience.region.code": ["eu"],
              "model.sampling.temperature": [0.2],
              "inputs.style.length": ["long"]
            }
            """));

        var start = plan.StartRunFor(plan.Runs.ShouldHaveSingleItem());

        JsonNode.DeepEquals(start.Inputs, JsonNode.Parse("""
            { "style": { "length": "long", "tone": "formal" }, "feature": "x", "audience": { "region": { "code": "eu" } } }
            """)).ShouldBeTrue(start.Inputs.ToJsonString());
        JsonNode.DeepEquals(start.Model, JsonNode.Parse($$"""
            { "name": "mock", "sampling": { "temperature": 0.2 }, "seed": {{plan.Runs[0].Seed}} }
            """)).ShouldBeTrue(start.Model.ToJsonString());
        plan.Conditions[0].Factors.ToJsonString().ShouldBe(
            """{"inputs.style.tone":"formal","inputs.audience.region.code":"eu","model.sampling.temperature":0.2,"inputs.style.length":"long"}""");
    }

    [Fact]
    public async Task Object_and_array_levels_are_set_whole_and_each_start_gets_its_own_copy()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.Minimal("""
            "factors": { "inputs.style": [{ "tone": "formal", "marks": [1, 2] }, null] }, "replicates": 2
            """));

        var first = plan.StartRunFor(plan.Runs[0]);
        var again = plan.StartRunFor(plan.Runs[0]);
        first.Inputs["style"]!["tone"] = "changed";

        again.Inputs.ToJsonString().ShouldBe("""{"style":{"marks":[1,2],"tone":"formal"}}""");
        plan.Conditions[0].Factors.ToJsonString().ShouldBe("""{"inputs.style":{"marks":[1,2],"tone":"formal"}}""");
        plan.StartRunFor(plan.Runs[2]).Inputs.ToJsonString().ShouldBe("""{"style":null}""");
    }

    [Fact]
    public async Task Runs_of_different_conditions_have_different_input_bundles()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.ToneAblation());

        // The orchestrator deduplicates identical starts by their content; every planned run must differ from every other.
        plan.Runs.Select(run => plan.StartRunFor(run))
            .Select(start => Digest.Of(new JsonObject { ["inputs"] = start.Inputs, ["model"] = start.Model }))
            .Distinct().Count().ShouldBe(plan.Runs.Count);
    }
}
