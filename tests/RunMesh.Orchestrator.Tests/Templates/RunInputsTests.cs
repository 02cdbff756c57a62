using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class RunInputsTests
{
    private const string TemplateHash = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    [Fact]
    public async Task Inputs_that_satisfy_the_input_schema_are_accepted()
    {
        var template = await SpecReviewAsync();

        RunInputs.Validate(template, Json("""{ "feature": "login" }""")).ShouldBeEmpty();
    }

    public static TheoryData<string, string, string[]> InvalidInputs => new()
    {
        // inputs, expected problems ("path: message")
        { "{}", "required feature missing", ["$.inputs.feature: required property missing"] },
        { """{ "feature": 5 }""", "feature not a string", ["$.inputs.feature: must be a string, got a number"] },
        { $$"""{ "feature": "{{new string('x', 2001)}}" }""", "feature too long", ["$.inputs.feature: must be at most 2000 characters long (it has 2001)"] },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public async Task Inputs_that_break_the_input_schema_are_refused_with_every_error(string inputs, string why, string[] expected)
    {
        var template = await SpecReviewAsync();

        var problems = RunInputs.Validate(template, Json(inputs));

        problems.Select(p => p.ToString()).ShouldBe(expected, why);
    }

    [Fact]
    public async Task Every_schema_error_is_listed_with_its_path()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewWith(
            "inputs.schema",
            """{ "type": "object", "required": ["feature", "audience"], "properties": { "feature": { "type": "string" }, "audience": { "type": "string" }, "limits": { "type": "array", "items": { "type": "integer" } } } }"""))).Template!;

        var problems = RunInputs.Validate(template, Json("""{ "feature": 1, "limits": [1, "two"] }"""));

        problems.Select(p => p.Path).ShouldBe(["$.inputs.feature", "$.inputs.audience", "$.inputs.limits[1]"], ignoreOrder: true);
    }

    private const string StrictInputs = """
        { "type": "object", "additionalProperties": false, "required": ["topic", "tone"],
          "properties": {
            "topic": { "type": "string" },
            "tone": { "type": "string", "enum": ["formal", "casual"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "length": { "anyOf": [{ "type": "integer", "minimum": 1 }, { "type": "string", "enum": ["short", "long"] }] } } }
        """;

    public static TheoryData<string, string[]> UnacceptableInputs => new()
    {
        // inputs, every problem ("path: message") as the person who sent them reads it
        { """{ "tone": "formal" }""", ["$.inputs.topic: required property missing"] },
        { """{ "topic": 7, "tone": "formal" }""", ["$.inputs.topic: must be a string, got a number"] },
        { """{ "topic": "x", "tone": "formall" }""", ["$.inputs.tone: must be one of: formal, casual (did you mean 'formal'?)"] },
        { """{ "topic": "x", "tone": "rude" }""", ["$.inputs.tone: must be one of: formal, casual"] },
        { """{ "topic": "x", "tone": "formal", "tags": "a,b" }""", ["$.inputs.tags: must be an array, got a string"] },
        { """{ "topic": "x", "tone": "formal", "tags": ["a", 2] }""", ["$.inputs.tags[1]: must be a string, got a number"] },
        { """{ "topc": "x", "tone": "formal" }""", ["$.inputs.topic: required property missing", "$.inputs.topc: unknown property (did you mean 'topic'?)"] },
        { """{ "topic": "x", "tone": "formal", "colour": "red" }""", ["$.inputs.colour: unknown property (allowed: topic, tone, tags, length)"] },
        { """{ "topic": "x", "tone": "formal", "length": true }""",
            ["$.inputs.length: matches none of the allowed forms (anyOf): (1) must be an integer, got a boolean; (2) must be a string, got a boolean"] },
    };

    [Theory]
    [MemberData(nameof(UnacceptableInputs))]
    public async Task Input_schema_errors_are_sentences_with_the_inputs_path(string inputs, string[] expected)
    {
        var document = TemplateSamples.SpecReviewWith("inputs.schema", StrictInputs);
        TemplateSamples.Set(document, "phases.0.instructions", "\"Write a spec about {{inputs.topic}}\"");
        var validation = await TemplateValidator.ValidateAsync(document);
        var template = validation.Template.ShouldNotBeNull(string.Join("; ", validation.Problems));

        var problems = RunInputs.Validate(template, Json(inputs));

        problems.Select(p => p.ToString()).ShouldBe(expected, ignoreOrder: true);
    }

    [Fact]
    public async Task An_input_that_makes_a_pattern_backtrack_is_refused_quickly_naming_the_pattern()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewWith(
            "inputs.schema",
            """{ "type": "object", "required": ["feature"], "properties": { "feature": { "type": "string", "pattern": "^(a+)+$" } } }"""))).Template!;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var problems = RunInputs.Validate(template, new JsonObject { ["feature"] = new string('a', 40) + "!" });

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
        problems.ShouldBe([new ValidationProblem("$.inputs.feature", "pattern \"^(a+)+$\" took too long to evaluate")]);
    }

    [Fact]
    public async Task A_referenced_input_that_is_missing_is_refused_even_without_an_input_schema()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewWith("inputs", null))).Template!;

        var problems = RunInputs.Validate(template, Json("""{ "other": 1 }"""));

        problems.ShouldBe([new ValidationProblem("$.inputs.feature", "is missing, and phase \"spec\"'s instructions reference it")]);
    }

    [Fact]
    public void Input_bundle_hash_is_the_digest_of_the_documented_bundle()
    {
        var hash = RunInputs.InputBundleHash(TemplateHash, Json("""{ "feature": "login" }"""), Json("""{ "name": "mock" }"""), new RunOptions());

        // The formula of docs/templates.md, spelled out: anyone can reproduce the hash from this text.
        const string bundle = """
            {"templateHash":"TEMPLATE","inputs":{"feature":"login"},"model":{"name":"mock"},"options":{"maxDepth":3,"labels":{}}}
            """;
        hash.ShouldBe(Digest.OfJson(bundle.Replace("TEMPLATE", TemplateHash, StringComparison.Ordinal)));
    }

    [Fact]
    public void Input_bundle_includes_budget_and_timeout_only_when_given()
    {
        var options = new RunOptions { Budget = new Budget { MaxTokens = 1000 }, TimeoutSeconds = 60, Labels = new Dictionary<string, string> { ["team"] = "docs" } };

        var bundle = RunInputs.InputBundle(TemplateHash, null, null, options);

        CanonicalJson.SerializeToString(bundle).ShouldBe(
            $$"""{"inputs":{},"model":{},"options":{"budget":{"maxTokens":1000},"labels":{"team":"docs"},"maxDepth":3,"timeoutSeconds":60},"templateHash":"{{TemplateHash}}"}""");
    }

    public static TheoryData<string, Func<Start, Start>> Changes => new()
    {
        { "template hash", s => s with { TemplateHash = "sha256:" + new string('2', 64) } },
        { "an input value", s => s with { Inputs = """{ "feature": "logout" }""" } },
        { "an extra input", s => s with { Inputs = """{ "feature": "login", "audience": "ops" }""" } },
        { "model name", s => s with { Model = """{ "name": "gpt", "temperature": 0 }""" } },
        { "model temperature", s => s with { Model = """{ "name": "mock", "temperature": 0.5 }""" } },
        { "max depth", s => s with { Options = s.Options with { MaxDepth = 2 } } },
        { "a label", s => s with { Options = s.Options with { Labels = new Dictionary<string, string> { ["team"] = "docs" } } } },
        { "a budget", s => s with { Options = s.Options with { Budget = new Budget { MaxCostUsd = 1m } } } },
        { "another budget", s => s with { Options = s.Options with { Budget = new Budget { MaxCostUsd = 2m } } } },
        { "a timeout", s => s with { Options = s.Options with { TimeoutSeconds = 30 } } },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Input_bundle_hash_changes_when_any_part_changes(string part, Func<Start, Start> change)
    {
        var start = Start.Default;

        change(start).Hash().ShouldNotBe(start.Hash(), part);
    }

    [Fact]
    public void Input_bundle_hash_does_not_change_with_force()
    {
        var start = Start.Default;

        (start with { Options = start.Options with { Force = true } }).Hash().ShouldBe(start.Hash());
    }

    [Fact]
    public void Input_bundle_hash_is_computed_after_defaults_are_applied()
    {
        var start = Start.Default;
        var spelledOut = start with { Options = new RunOptions { MaxDepth = 3, Labels = new Dictionary<string, string>(), Budget = new Budget() } };

        spelledOut.Hash().ShouldBe(start.Hash());
        RunInputs.InputBundleHash(TemplateHash, Json("{}"), Json("{}"), null)
            .ShouldBe(RunInputs.InputBundleHash(TemplateHash, null, null, new RunOptions()));
    }

    [Fact]
    public void Input_bundle_hash_ignores_key_order_and_number_spelling()
    {
        var start = Start.Default with { Inputs = """{ "feature": "login", "n": 1.50 }""", Model = """{ "name": "mock", "temperature": 0 }""" };
        var reordered = start with { Inputs = """{ "n": 1.5, "feature": "login" }""", Model = """{ "temperature": 0.0, "name": "mock" }""" };

        reordered.Hash().ShouldBe(start.Hash());
    }

    private static async Task<WorkflowTemplate> SpecReviewAsync() =>
        (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewYaml)).Template!;

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    public sealed record Start(string TemplateHash, string Inputs, string Model, RunOptions Options)
    {
        public static Start Default { get; } = new(RunInputsTests.TemplateHash, """{ "feature": "login" }""", """{ "name": "mock" }""", new RunOptions());

        public string Hash() => RunInputs.InputBundleHash(TemplateHash, Json(Inputs), Json(Model), Options);
    }
}
