using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Tests.Studies.Definition;

public sealed class StudyPlannerTests
{
    [Fact]
    public async Task Conditions_are_the_full_factorial_first_factor_slowest_with_exclusions_left_out()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.ToneAblation());

        plan.Conditions.Select(c => c.Factors.ToJsonString()).ShouldBe(
        [
            """{"inputs.tone":"formal","model.temperature":0}""",
            """{"inputs.tone":"formal","model.temperature":0.7}""",
            """{"inputs.tone":"casual","model.temperature":0.7}""",
        ]);
        plan.Runs.Select(r => (r.PlanIndex, r.ConditionId, r.Replicate)).ShouldBe(
            plan.Conditions.SelectMany(c => new[] { 1, 2, 3 }.Select(replicate => (c.ConditionId, replicate)))
                .Select((run, index) => (index, run.ConditionId, run.replicate)));
    }

    [Fact]
    public async Task Planning_twice_gives_the_same_plan()
    {
        var first = await StudySamples.PlanAsync(StudySamples.ToneAblation());
        var second = await StudySamples.PlanAsync(StudySamples.ToneAblation());

        second.Runs.ShouldBe(first.Runs);
        second.Conditions.Select(c => c.ConditionId).ShouldBe(first.Conditions.Select(c => c.ConditionId));
    }

    [Fact]
    public async Task A_study_without_factors_is_one_condition_run_replicates_times()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.Minimal("\"replicates\": 5"));

        plan.Conditions.ShouldHaveSingleItem().Factors.Count.ShouldBe(0);
        plan.Conditions[0].ConditionId.ShouldBe(IndependentIdentity.ConditionId("{}"));
        plan.Runs.Select(r => r.Replicate).ShouldBe([1, 2, 3, 4, 5]);
    }

    [Fact]
    public async Task Partial_exclusions_remove_every_condition_they_match()
    {
        var plan = await StudySamples.PlanAsync(StudySamples.Minimal("""
            "factors": { "inputs.a": [1, 2, 3], "inputs.b": ["x", "y"], "model.c": [true, false] },
            "exclude": [ { "inputs.a": 2 }, { "inputs.b": "y", "model.c": false }, { "inputs.a": 2, "inputs.b": "x" } ]
            """));

        plan.Conditions.Select(c => c.Factors.ToJsonString()).ShouldBe(
        [
            """{"inputs.a":1,"inputs.b":"x","model.c":true}""",
            """{"inputs.a":1,"inputs.b":"x","model.c":false}""",
            """{"inputs.a":1,"inputs.b":"y","model.c":true}""",
            """{"inputs.a":3,"inputs.b":"x","model.c":true}""",
            """{"inputs.a":3,"inputs.b":"x","model.c":false}""",
            """{"inputs.a":3,"inputs.b":"y","model.c":true}""",
        ]);
    }

    [Fact]
    public async Task Exclusions_that_leave_nothing_plan_no_runs()
    {
        var result = await StudyPlanner.PlanAsync(
            StudySamples.Minimal("""
                "factors": { "inputs.a": [1, 2] },
                "exclude": [ { "inputs.a": 1 }, { "inputs.a": 2 } ]
                """),
            null,
            new StudyLimits());

        result.Problems.ShouldBeEmpty();
        result.Plan.ShouldNotBeNull().Runs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Exclusions_match_a_brute_force_count_over_random_grids_under_every_limit()
    {
        var random = new Random(20_240_601);
        for (var trial = 0; trial < 200; trial++)
        {
            var levelCounts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(1, 5)).ToArray();
            var exclusions = Enumerable.Range(0, random.Next(0, 6))
                .Select(_ => levelCounts.Select(count => random.Next(3) == 0 ? random.Next(count) : -1).ToArray())
                .Where(e => e.Any(level => level >= 0))
                .ToList();
            var replicates = random.Next(1, 3);
            var expected = AllConditions(levelCounts).Where(c => !exclusions.Any(e => Matches(e, c))).ToList();
            var full = levelCounts.Aggregate(1, (product, count) => product * count) * replicates;
            var limits = new StudyLimits { MaxRunsPerStudy = random.Next(1, full + 1) };

            var result = await StudyPlanner.PlanAsync(GridDefinition(levelCounts, exclusions, replicates), null, limits);

            var runs = expected.Count * replicates;
            if (runs <= limits.MaxRunsPerStudy)
            {
                var plan = result.Plan.ShouldNotBeNull(string.Join(" | ", result.Problems));
                plan.Conditions.Select(c => LevelsOf(c, levelCounts.Length)).ShouldBe(expected.Select(c => string.Join(',', c)), $"trial {trial}");
                plan.Runs.Count.ShouldBe(runs);
            }
            else
            {
                result.Problems.ShouldHaveSingleItem().Message.ShouldStartWith($"the plan has {runs:N0} run", customMessage: $"trial {trial}");
            }
        }
    }

    [Fact]
    public async Task More_runs_than_max_runs_are_refused_with_the_count()
    {
        var definition = StudySamples.ToneAblation();
        definition["maxRuns"] = 5;

        var result = await StudyPlanner.PlanAsync(definition, null, new StudyLimits());

        result.Plan.ShouldBeNull();
        result.Problems.ShouldBe([new ValidationProblem(
            "$.maxRuns", "the plan has 9 runs (3 conditions × 3 replicates), more than maxRuns (5); use fewer levels or replicates, exclude conditions, or raise maxRuns")]);
    }

    [Fact]
    public async Task More_runs_than_the_planner_allows_are_refused_whatever_max_runs_says()
    {
        var definition = StudySamples.ToneAblation();
        definition.Remove("maxRuns");

        var result = await StudyPlanner.PlanAsync(definition, null, new StudyLimits { MaxRunsPerStudy = 8 });

        result.Problems.ShouldBe([new ValidationProblem(
            "$", "the plan has 9 runs (3 conditions × 3 replicates), more than the 8 runs a study may have; use fewer levels or replicates, exclude conditions, or split the study")]);
    }

    [Theory]
    [InlineData(6, "900,000")] // 10^6 conditions, a tenth excluded
    [InlineData(12, "900,000,000,000")] // 10^12
    public async Task A_huge_grid_is_refused_from_its_count_without_being_built(int factorCount, string remaining)
    {
        var definition = StudySamples.Minimal($"\"factors\": {TenLevelFactors(factorCount)}, \"exclude\": [ {{ \"inputs.f0\": 0 }} ]");

        var result = await StudyPlanner.PlanAsync(definition, null, new StudyLimits());

        result.Plan.ShouldBeNull();
        result.Problems.ShouldBe([new ValidationProblem(
            "$", $"the plan has {remaining} runs ({remaining} conditions × 1 replicate), more than the 10,000 runs a study may have; use fewer levels or replicates, exclude conditions, or split the study")]);
    }

    [Fact]
    public async Task A_huge_grid_with_exclusions_too_entangled_to_count_is_refused_as_at_least_its_lower_bound()
    {
        // 10^20 conditions; each exclusion fixes 8 of 20 factors, so it removes at most 10^12 of them.
        var definition = StudySamples.Minimal($"\"factors\": {TenLevelFactors(20)}, \"exclude\": {RandomExclusions(new Random(7), 1_000, factors: 20, levels: 10, fixedFactors: 8)}");

        var result = await StudyPlanner.PlanAsync(definition, null, new StudyLimits());

        result.Plan.ShouldBeNull();
        result.Problems.ShouldBe([new ValidationProblem(
            "$", "the plan has at least 99,999,000,000,000,000,000 runs (at least 99,999,000,000,000,000,000 conditions × 1 replicate), more than the 10,000 runs a study may have; use fewer levels or replicates, exclude conditions, or split the study")]);
    }

    [Fact]
    public async Task A_grid_whose_exclusions_may_or_may_not_bring_it_under_the_limit_but_are_too_entangled_to_count_is_refused()
    {
        // 2^20 conditions; 1,000 exclusions of 8 factors each remove up to 4,096 each, perhaps all of them, perhaps not.
        var factors = new JsonObject(Enumerable.Range(0, 20).Select(i => KeyValuePair.Create<string, JsonNode?>($"inputs.f{i}", new JsonArray(0, 1))));
        var definition = StudySamples.Minimal($"\"factors\": {factors.ToJsonString()}, \"exclude\": {RandomExclusions(new Random(7), 1_000, factors: 20, levels: 2, fixedFactors: 8)}");

        var result = await StudyPlanner.PlanAsync(definition, null, new StudyLimits());

        result.Problems.ShouldBe([new ValidationProblem(
            "$", "the grid has 1,048,576 conditions before its exclusions (1,048,576 runs with 1 replicate), more than the 10,000 runs allowed, and too many exclusions to count what they leave; use fewer levels or split the study")]);
    }

    [Fact]
    public async Task A_grid_over_the_limit_that_exclusions_bring_under_it_is_planned()
    {
        // 200 × 100 = 20,000 conditions; excluding 150 levels of the first factor leaves 50 × 100 = 5,000.
        var exclusions = string.Join(", ", Enumerable.Range(0, 150).Select(i => $"{{ \"inputs.a\": {i} }}"));
        var definition = StudySamples.Minimal($$"""
            "factors": { "inputs.a": [{{string.Join(", ", Enumerable.Range(0, 200))}}], "model.b": [{{string.Join(", ", Enumerable.Range(0, 100))}}] },
            "exclude": [ {{exclusions}} ]
            """);

        var plan = await StudySamples.PlanAsync(definition);

        plan.Conditions.Count.ShouldBe(5_000);
        plan.Conditions[0].Factors.ToJsonString().ShouldBe("""{"inputs.a":150,"model.b":0}""");
        plan.Conditions[^1].Factors.ToJsonString().ShouldBe("""{"inputs.a":199,"model.b":99}""");
    }

    [Fact]
    public async Task Each_condition_whose_inputs_fail_the_template_schema_is_named()
    {
        var schema = StudySamples.Json("""
            { "type": "object", "required": ["feature", "tone"],
              "properties": { "feature": { "type": "string" }, "tone": { "enum": ["formal", "casual"] } } }
            """);
        var definition = StudySamples.ToneAblation();
        definition["factors"]!["inputs.tone"] = new JsonArray("formal", "casual", "rude");

        var result = await StudyPlanner.PlanAsync(definition, schema, new StudyLimits());

        result.Plan.ShouldBeNull();
        var rude = new[] { 0, 0.7 }.Select(t => new JsonObject { ["inputs.tone"] = "rude", ["model.temperature"] = t }).ToList();
        result.Problems.ShouldBe(rude.Select(factors => new ValidationProblem(
            $"conditions[{IndependentIdentity.ConditionId(factors.ToJsonString())}]",
            $"{factors.ToJsonString()}: $.inputs.tone: must be one of: formal, casual")));
    }

    [Fact]
    public async Task Inputs_that_fit_the_schema_in_every_condition_plan()
    {
        var schema = StudySamples.Json("""{ "type": "object", "required": ["feature", "tone"] }""");

        var plan = await StudySamples.PlanAsync(StudySamples.ToneAblation(), schema);

        plan.Runs.Count.ShouldBe(9);
    }

    [Fact]
    public async Task Base_inputs_missing_a_required_field_fail_in_every_condition_and_long_lists_are_cut()
    {
        var schema = StudySamples.Json("""{ "type": "object", "required": ["audience"] }""");
        var definition = StudySamples.Minimal($"\"factors\": {{ \"inputs.n\": [{string.Join(", ", Enumerable.Range(0, 30))}] }}");

        var result = await StudyPlanner.PlanAsync(definition, schema, new StudyLimits());

        result.Problems.Count.ShouldBe(StudyLimits.MaxConditionsReported + 1);
        result.Problems[0].Message.ShouldBe("""{"inputs.n":0}: $.inputs.audience: required property missing""");
        result.Problems[^1].ShouldBe(new ValidationProblem("conditions", "10 more conditions give inputs the template's inputs.schema refuses (30 in all)"));
    }

    [Fact]
    public async Task Field_problems_come_with_schema_failures_or_with_too_many_runs()
    {
        var schema = StudySamples.Json("""{ "type": "object", "properties": { "tone": { "enum": ["formal"] } } }""");
        var definition = StudySamples.ToneAblation();
        definition["labels"] = new JsonObject { ["team"] = 1 };

        var withSchemaFailure = await StudyPlanner.PlanAsync(definition, schema, new StudyLimits());
        definition["maxRuns"] = 2;
        var overMaxRuns = await StudyPlanner.PlanAsync(definition, schema, new StudyLimits());
        var overTheLimit = await StudyPlanner.PlanAsync(definition, schema, new StudyLimits { MaxRunsPerStudy = 2 });

        var casual = $"conditions[{IndependentIdentity.ConditionId("""{"inputs.tone":"casual","model.temperature":0.7}""")}]";
        withSchemaFailure.Problems.Select(p => p.Path).ShouldBe(["$.labels['team']", casual]);
        // Over maxRuns alone, the grid is within the planner's limit: still enumerated, so its conditions are checked too.
        overMaxRuns.Problems.Select(p => p.Path).ShouldBe(["$.labels['team']", "$.maxRuns", casual]);
        // A grid over the planner's limit is never built, so its conditions are not checked against the schema.
        overTheLimit.Problems.Select(p => p.Path).ShouldNotContain(casual);
    }

    [Fact]
    public async Task An_unusable_schema_is_reported_on_the_template()
    {
        var schema = StudySamples.Json("""{ "$ref": "https://example.com/schema.json" }""");

        var result = await StudyPlanner.PlanAsync(StudySamples.ToneAblation(), schema, new StudyLimits());

        result.Problems.ShouldHaveSingleItem().Path.ShouldBe("$.template");
        result.Problems[0].Message.ShouldStartWith("the template's inputs.schema cannot be used: ");
    }

    private static string TenLevelFactors(int count) =>
        new JsonObject(Enumerable.Range(0, count).Select(i =>
            KeyValuePair.Create<string, JsonNode?>($"inputs.f{i}", new JsonArray(Enumerable.Range(0, 10).Select(l => (JsonNode?)l).ToArray())))).ToJsonString();

    private static string RandomExclusions(Random random, int count, int factors, int levels, int fixedFactors)
    {
        var exclusions = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var exclusion = new JsonObject();
            foreach (var factor in Enumerable.Range(0, factors).OrderBy(_ => random.Next()).Take(fixedFactors))
            {
                exclusion[$"inputs.f{factor}"] = random.Next(levels);
            }

            exclusions.Add(exclusion);
        }

        return exclusions.ToJsonString();
    }

    private static JsonObject GridDefinition(int[] levelCounts, List<int[]> exclusions, int replicates)
    {
        var factors = new JsonObject();
        for (var f = 0; f < levelCounts.Length; f++)
        {
            factors[$"inputs.f{f}"] = new JsonArray(Enumerable.Range(0, levelCounts[f]).Select(l => (JsonNode?)$"L{l}").ToArray());
        }

        var exclude = new JsonArray(exclusions.Select(e => (JsonNode?)new JsonObject(
            e.Select((level, f) => (level, f)).Where(x => x.level >= 0)
                .Select(x => KeyValuePair.Create<string, JsonNode?>($"inputs.f{x.f}", $"L{x.level}")))).ToArray());
        return StudySamples.Minimal($"\"factors\": {factors.ToJsonString()}, \"exclude\": {exclude.ToJsonString()}, \"replicates\": {replicates}");
    }

    private static IEnumerable<int[]> AllConditions(int[] levelCounts) =>
        levelCounts.Aggregate(
            (IEnumerable<int[]>)[[]],
            (prefixes, count) => prefixes.SelectMany(prefix => Enumerable.Range(0, count).Select(level => (int[])[.. prefix, level])));

    private static bool Matches(int[] exclusion, int[] condition) =>
        exclusion.Select((level, f) => level < 0 || level == condition[f]).All(match => match);

    private static string LevelsOf(StudyCondition condition, int factorCount) =>
        string.Join(',', Enumerable.Range(0, factorCount).Select(f => condition.Factors[$"inputs.f{f}"]!.GetValue<string>()[1..]));
}
