using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Tests.Studies.Definition;

public sealed class StudyIdentityTests
{
    [Fact]
    public async Task Study_condition_and_run_ids_and_seeds_follow_the_design_formulas()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.ToneAblation());

        var studyId = IndependentIdentity.StudyId(StudySamples.ToneAblationCanonical);
        plan.StudyId.ShouldBe(studyId);
        plan.DefinitionDigest.ShouldBe("sha256:" + IndependentIdentity.Sha256Hex(StudySamples.ToneAblationCanonical));

        string[] canonicalConditions =
        [
            """{"inputs.tone":"formal","model.temperature":0}""",
            """{"inputs.tone":"formal","model.temperature":0.7}""",
            """{"inputs.tone":"casual","model.temperature":0.7}""",
        ];
        plan.Conditions.Select(c => c.ConditionId).ShouldBe(canonicalConditions.Select(IndependentIdentity.ConditionId));

        var expectedRuns = canonicalConditions
            .Select(IndependentIdentity.ConditionId)
            .SelectMany(conditionId => Enumerable.Range(1, 3).Select(replicate => (conditionId, replicate)))
            .Select((run, index) => new PlannedRun(
                index,
                IndependentIdentity.RunId(studyId, run.conditionId, run.replicate),
                run.conditionId,
                run.replicate,
                IndependentIdentity.Seed(7, run.conditionId, run.replicate)))
            .ToList();
        plan.Runs.ShouldBe(expectedRuns);
    }

    [Fact]
    public async Task The_example_study_has_the_ids_another_implementation_computes()
    {
        // Computed with Python's hashlib and uuid.uuid5 from the canonical definition written out in StudySamples.
        var plan = await StudySamples.PlanAsync(StudySamples.ToneAblation());

        plan.StudyId.ShouldBe(new Guid("74e74d6e-30a4-5e36-b3c9-031a1310eee0"));
        plan.Conditions.Select(c => c.ConditionId).ShouldBe(["c62a3320009e0", "c38635dc58cbb", "c2376c2575046"]);
        plan.Runs[0].RunId.ShouldBe(new Guid("264c5817-e663-5382-b787-f6afb2b88006"));
        plan.Runs[0].Seed.ShouldBe(4_545_390_390_797_702);
        plan.Runs[8].RunId.ShouldBe(new Guid("fce4be79-ceb0-5733-883b-61a1b7234616"));
        plan.Runs[8].Seed.ShouldBe(6_292_785_183_332_136);
    }

    [Fact]
    public async Task Reordered_keys_and_respelled_numbers_are_the_same_study()
    {
        var given = await StudySamples.PlanAsync(StudySamples.ToneAblation());
        var reordered = StudySamples.Json("""
            { "name": "tone-ablation", "template": "spec-review@3", "seed": 7, "replicates": 3,
              "inputs": { "feature": "dark mode" }, "model": { "name": "mock" },
              "factors": { "inputs.tone": ["formal", "casual"], "model.temperature": [0.0, 7e-1] },
              "exclude": [ { "inputs.tone": "casual", "model.temperature": 0 } ],
              "parallelism": 4, "maxRuns": 50, "failFast": false, "budget": { "maxCostUsd": 10 }, "labels": { "team": "research" } }
            """);

        var plan = await StudySamples.PlanAsync(reordered);

        plan.StudyId.ShouldBe(given.StudyId);
        plan.Runs.ShouldBe(given.Runs);
    }

    [Fact]
    public async Task Yaml_and_json_of_the_same_definition_are_the_same_study()
    {
        var yaml = StudyDefinitionReader.Parse(StudySamples.ToneAblationYaml, "application/yaml");
        var json = StudyDefinitionReader.Parse(StudySamples.ToneAblationJson);

        yaml.Problems.ShouldBeEmpty();
        json.Problems.ShouldBeEmpty();
        var fromYaml = await StudySamples.PlanAsync(yaml.Json!);
        var fromJson = await StudySamples.PlanAsync(json.Json!);

        fromYaml.StudyId.ShouldBe(fromJson.StudyId);
        fromYaml.Conditions.Select(c => c.ConditionId).ShouldBe(fromJson.Conditions.Select(c => c.ConditionId));
        fromYaml.Runs.ShouldBe(fromJson.Runs);
    }

    [Fact]
    public async Task Defaults_spelled_out_are_the_same_study_as_defaults_left_out()
    {
        var omitted = await StudySamples.PlanAsync(StudySamples.Minimal());
        var spelledOut = await StudySamples.PlanAsync(StudySamples.Minimal("""
            "inputs": {}, "model": {}, "factors": {}, "exclude": [], "replicates": 1, "seed": 0,
            "parallelism": 4, "failFast": false, "labels": {}
            """));

        spelledOut.StudyId.ShouldBe(omitted.StudyId);
        omitted.StudyId.ShouldBe(IndependentIdentity.StudyId(
            """{"exclude":[],"factors":{},"failFast":false,"inputs":{},"labels":{},"model":{},"name":"minimal","parallelism":4,"replicates":1,"seed":0,"template":"spec-review@3"}"""));
    }

    public static TheoryData<string, string> ChangedFields => new()
    {
        { "seed", "\"seed\": 8" },
        { "parallelism", "\"parallelism\": 5" },
        { "labels", "\"labels\": { \"team\": \"docs\" }" },
        { "a level", "\"factors\": { \"inputs.tone\": [\"formal\", \"casual\"], \"model.temperature\": [0, 0.8] }" },
        { "maxRuns", "\"maxRuns\": 51" },
    };

    [Theory]
    [MemberData(nameof(ChangedFields))]
    public async Task Any_changed_field_is_another_study(string what, string change)
    {
        var given = await StudySamples.PlanAsync(StudySamples.ToneAblation());
        var changed = StudySamples.ToneAblation();
        foreach (var (key, value) in StudySamples.Json("{" + change + "}"))
        {
            changed[key] = value?.DeepClone();
        }

        (await StudySamples.PlanAsync(changed)).StudyId.ShouldNotBe(given.StudyId, what);
    }

    [Fact]
    public async Task Seeds_are_53_bit_non_negative_integers_that_differ_per_condition_and_replicate()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.Minimal("""
            "factors": { "inputs.n": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, "replicates": 20, "seed": -3
            """));

        plan.Runs.ShouldAllBe(run => run.Seed >= 0 && run.Seed <= StudyIdentity.SeedMask);
        plan.Runs.Select(run => run.Seed).Distinct().Count().ShouldBe(200);
        // 200 seeds uniform over 53 bits: some use the top bits, so the mask is 53 bits, not 32 or 52.
        plan.Runs.ShouldContain(run => run.Seed >= 1L << 52);
        plan.Runs.ShouldAllBe(run => run.Seed == IndependentIdentity.Seed(-3, run.ConditionId, run.Replicate));
    }
}
