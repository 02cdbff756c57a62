using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Tests.Studies.Definition;

public sealed class StudyDefinitionReaderTests
{
    [Fact]
    public void The_design_example_reads_with_every_field()
    {
        var result = StudyDefinitionReader.Read(StudySamples.ToneAblation());

        result.Problems.ShouldBeEmpty();
        var study = result.Definition.ShouldNotBeNull();
        study.Name.ShouldBe("tone-ablation");
        study.Template.ShouldBe("spec-review@3");
        study.Inputs.ToJsonString().ShouldBe("""{"feature":"dark mode"}""");
        study.Model.ToJsonString().ShouldBe("""{"name":"mock"}""");
        study.Factors.Select(f => (f.Key, f.Target, string.Join('.', f.Fields), f.Levels.Count))
            .ShouldBe([("inputs.tone", FactorTarget.Inputs, "tone", 2), ("model.temperature", FactorTarget.Model, "temperature", 2)]);
        study.Exclude.ShouldHaveSingleItem();
        study.Replicates.ShouldBe(3);
        study.Seed.ShouldBe(7);
        study.Parallelism.ShouldBe(4);
        study.MaxRuns.ShouldBe(50);
        study.FailFast.ShouldBeFalse();
        study.Budget.ShouldNotBeNull().MaxCostUsd.ShouldBe(10m);
        study.Budget.MaxTokens.ShouldBeNull();
        study.Labels.ShouldBe(new Dictionary<string, string> { ["team"] = "research" });
    }

    [Fact]
    public void Omitted_fields_get_their_defaults()
    {
        var study = StudyDefinitionReader.Read(StudySamples.Minimal()).Definition.ShouldNotBeNull();

        study.Inputs.Count.ShouldBe(0);
        study.Model.Count.ShouldBe(0);
        study.Factors.ShouldBeEmpty();
        study.Exclude.ShouldBeEmpty();
        study.Replicates.ShouldBe(1);
        study.Seed.ShouldBe(0);
        study.Parallelism.ShouldBe(4);
        study.MaxRuns.ShouldBeNull();
        study.FailFast.ShouldBeFalse();
        study.Budget.ShouldBeNull();
        study.Labels.ShouldBeEmpty();
    }

    public static TheoryData<string, string, string, string> Problems => new()
    {
        // what, fields added to a minimal valid definition, expected path, expected part of the message
        { "unknown field", "\"repeats\": 3", "$.repeats", "unknown field (allowed here: name, template," },
        { "null name", "\"name\": null", "$.name", "must be a string, got null" },
        { "name with spaces", "\"name\": \"Tone Ablation\"", "$.name", "lower-case letters" },
        { "template without a version", "\"template\": \"spec-review\"", "$.template", "must be name@version (a template name, ^[a-z][a-z0-9-]{0,62}$, and an integer version from 1, e.g. spec-review@3) or sha256: and 64 lower-case hex digits, got \"spec-review\"" },
        { "template version 0", "\"template\": \"spec-review@0\"", "$.template", "must be name@version" },
        { "short hash", "\"template\": \"sha256:abc\"", "$.template", "must be name@version" },
        { "inputs not an object", "\"inputs\": [1]", "$.inputs", "must be an object, got an array" },
        { "model not an object", "\"model\": \"mock\"", "$.model", "must be an object, got a string" },
        { "model.seed given", "\"model\": { \"seed\": 1 }", "$.model.seed", "set the study's seed instead" },
        { "factors not an object", "\"factors\": [\"inputs.tone\"]", "$.factors", "must be an object, got an array" },
        { "factor outside inputs and model", "\"factors\": { \"tone\": [1] }", "$.factors['tone']", "is not a path under inputs. or model." },
        { "factor under options", "\"factors\": { \"options.priority\": [1] }", "$.factors['options.priority']", "is not a path under inputs. or model." },
        { "factor naming all inputs", "\"factors\": { \"inputs\": [{}] }", "$.factors['inputs']", "is not a path under inputs. or model." },
        { "factor with an empty field", "\"factors\": { \"inputs..tone\": [1] }", "$.factors['inputs..tone']", "has an empty field name" },
        { "factor on model.seed", "\"factors\": { \"model.seed\": [1, 2] }", "$.factors['model.seed']", "cannot be a factor" },
        { "levels not an array", "\"factors\": { \"inputs.tone\": \"formal\" }", "$.factors['inputs.tone']", "must be an array of levels (the values the factor takes), got a string" },
        { "empty levels", "\"factors\": { \"inputs.tone\": [] }", "$.factors['inputs.tone']", "has no levels; give at least one value" },
        { "duplicate levels", "\"factors\": { \"inputs.tone\": [\"formal\", \"casual\", \"formal\"] }", "$.factors['inputs.tone'][2]", "repeats level [0] (\"formal\")" },
        { "equal numbers spelled apart", "\"factors\": { \"model.temperature\": [0.7, 0.70] }", "$.factors['model.temperature'][1]", "repeats level [0] (0.7)" },
        { "equal objects in another key order", "\"factors\": { \"inputs.style\": [{ \"a\": 1, \"b\": 2 }, { \"b\": 2, \"a\": 1 }] }", "$.factors['inputs.style'][1]", "repeats level [0]" },
        { "factor inside another factor", "\"factors\": { \"inputs.style\": [{}], \"inputs.style.tone\": [\"formal\"] }", "$.factors['inputs.style.tone']", "lies inside factor inputs.style" },
        { "factor inside a base string", "\"inputs\": { \"style\": \"plain\" }, \"factors\": { \"inputs.style.tone\": [\"formal\"] }", "$.factors['inputs.style.tone']", "inputs.style is a string in the base inputs; a factor can only set a field inside an object" },
        { "exclude not an array", "\"exclude\": { \"inputs.tone\": \"formal\" }", "$.exclude", "must be an array, got an object" },
        { "exclude entry not an object", "\"factors\": { \"inputs.tone\": [\"formal\"] }, \"exclude\": [\"formal\"]", "$.exclude[0]", "must be an object of factor key → level" },
        { "empty exclude entry", "\"factors\": { \"inputs.tone\": [\"formal\"] }, \"exclude\": [{}]", "$.exclude[0]", "is empty: it would exclude every condition" },
        { "exclude naming no factor", "\"factors\": { \"inputs.tone\": [\"formal\"] }, \"exclude\": [{ \"inputs.mood\": \"x\" }]", "$.exclude[0]['inputs.mood']", "names no factor (the factors are inputs.tone)" },
        { "exclude without factors", "\"exclude\": [{ \"inputs.mood\": \"x\" }]", "$.exclude[0]['inputs.mood']", "names no factor: the study has no factors" },
        { "exclude naming no level", "\"factors\": { \"inputs.tone\": [\"formal\", \"casual\"] }, \"exclude\": [{ \"inputs.tone\": \"rude\" }]", "$.exclude[0]['inputs.tone']", "\"rude\" is not a level of inputs.tone (its levels: \"formal\", \"casual\")" },
        { "replicates 0", "\"replicates\": 0", "$.replicates", "must be between 1 and 2147483647" },
        { "replicates fractional", "\"replicates\": 1.5", "$.replicates", "must be an integer, got 1.5" },
        { "replicates as text", "\"replicates\": \"3\"", "$.replicates", "must be an integer, got a string" },
        { "seed beyond 53 bits", "\"seed\": 9007199254740992", "$.seed", "must be between -9007199254740991 and 9007199254740991" },
        { "seed huge", "\"seed\": 1e400", "$.seed", "must be an integer, got a number" },
        { "parallelism 0", "\"parallelism\": 0", "$.parallelism", "must be between 1 and 256" },
        { "parallelism 257", "\"parallelism\": 257", "$.parallelism", "must be between 1 and 256" },
        { "maxRuns 0", "\"maxRuns\": 0", "$.maxRuns", "must be between 1 and" },
        { "maxRuns null", "\"maxRuns\": null", "$.maxRuns", "must be an integer, got null" },
        { "failFast as text", "\"failFast\": \"yes\"", "$.failFast", "must be true or false, got a string" },
        { "budget not an object", "\"budget\": 10", "$.budget", "must be an object, got a number" },
        { "negative cost", "\"budget\": { \"maxCostUsd\": -1 }", "$.budget.maxCostUsd", "must not be negative" },
        { "negative tokens", "\"budget\": { \"maxTokens\": -1 }", "$.budget.maxTokens", "must be at least 0" },
        { "unknown budget field", "\"budget\": { \"maxCost\": 1 }", "$.budget.maxCost", "unknown field (allowed here: maxCostUsd, maxTokens)" },
        { "label not a string", "\"labels\": { \"team\": 1 }", "$.labels['team']", "must be a string, got a number" },
        { "label the planner sets", "\"labels\": { \"studyId\": \"x\" }", "$.labels['studyId']", "is set by the planner on each run" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void Each_problem_is_named_with_its_path_and_what_to_do(string what, string fields, string path, string message)
    {
        var result = StudyDefinitionReader.Read(StudySamples.Minimal(fields));

        result.IsValid.ShouldBeFalse(what);
        result.Problems.ShouldContain(p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal), string.Join(" | ", result.Problems));
    }

    [Fact]
    public void Missing_name_and_template_are_required()
    {
        var result = StudyDefinitionReader.Read(new JsonObject());

        result.Problems.ShouldBe([new ValidationProblem("$.name", "is required"), new ValidationProblem("$.template", "is required")]);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var result = StudyDefinitionReader.Read(StudySamples.Json("""
            {
              "name": "Bad Name",
              "template": "spec-review",
              "factors": { "tone": ["a"], "inputs.mood": [] },
              "replicates": 0,
              "parallelism": 1000,
              "colour": "blue"
            }
            """));

        result.Problems.Select(p => p.Path).Order(StringComparer.Ordinal).ShouldBe(
            ["$.colour", "$.factors['inputs.mood']", "$.factors['tone']", "$.name", "$.parallelism", "$.replicates", "$.template"]);
    }

    [Fact]
    public void More_factors_than_allowed_are_refused()
    {
        var factors = new JsonObject();
        for (var i = 0; i <= StudyLimits.MaxFactors; i++)
        {
            factors[$"inputs.f{i}"] = new JsonArray(1);
        }

        var result = StudyDefinitionReader.Read(StudySamples.Minimal($"\"factors\": {factors.ToJsonString()}"));

        result.Problems.ShouldBe([new ValidationProblem("$.factors", $"has {StudyLimits.MaxFactors + 1} factors; at most {StudyLimits.MaxFactors} are allowed")]);
    }

    [Fact]
    public void The_template_is_available_to_look_up_even_when_other_fields_are_wrong()
    {
        StudyDefinitionReader.TemplateOf(StudySamples.Json("""{ "template": "spec-review@3", "replicates": -1 }""")).ShouldBe("spec-review@3");
        StudyDefinitionReader.TemplateOf(StudySamples.Json("""{ "template": "spec-review" }""")).ShouldBeNull();
        StudyDefinitionReader.TemplateOf(StudySamples.Json("""{ "template": 3 }""")).ShouldBeNull();
        var hash = "sha256:" + new string('a', 64);
        StudyDefinitionReader.TemplateOf(StudySamples.Json($$"""{ "template": "{{hash}}" }""")).ShouldBe(hash);
    }

    [Fact]
    public void Reading_leaves_the_given_json_unchanged()
    {
        var definition = StudySamples.Minimal("\"factors\": { \"inputs.tone\": [\"formal\"] }");
        var before = definition.ToJsonString();

        var study = StudyDefinitionReader.Read(definition).Definition.ShouldNotBeNull();

        definition.ToJsonString().ShouldBe(before);
        study.Json.ShouldNotBeSameAs(definition);
        study.Json["replicates"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public void Yaml_that_is_unsafe_is_refused_as_for_templates()
    {
        var result = StudyDefinitionReader.Parse("name: &n tone\ntemplate: *n\n", "application/yaml");

        result.IsParsed.ShouldBeFalse();
        result.Problems.ShouldContain(p => p.Message.Contains("not allowed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_definition_over_256_KiB_is_refused_before_it_is_parsed()
    {
        var text = "name: big\nnote: \"" + new string('x', StudyLimits.MaxDefinitionBytes) + "\"\n";

        StudyDefinitionReader.Parse(text).Problems.ShouldBe([new ValidationProblem("$", "the study definition is larger than 256 KiB")]);
    }

    [Fact]
    public void A_yaml_list_is_not_a_definition()
    {
        StudyDefinitionReader.Parse("- a\n- b\n", "text/yaml").Problems
            .ShouldBe([new ValidationProblem("$", "a study definition must be a YAML mapping")]);
    }
}
