using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;
using RunMesh.Orchestrator.Templates;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class TemplateValidatorTests
{
    [Fact]
    public async Task The_demo_template_has_three_mock_phases_a_gate_and_a_first_review_attempt_that_needs_repair()
    {
        var yaml = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy/local/demo/spec-review.yaml"));

        var result = await TemplateValidator.ValidateAsync(yaml, "application/yaml");

        result.Problems.ShouldBeEmpty();
        var template = result.Template.ShouldNotBeNull();
        template.Reference.ShouldBe("spec-review@3", "deploy/local/mesh.sh registers and starts this name@version");
        template.Phases.Select(p => p.Key).ShouldBe(["spec", "review", "summary"]);
        template.Phases.ShouldAllBe(p => p.Executor == "mock");
        template.Phases[0].Gates.ShouldHaveSingleItem().Name.ShouldBe("spec-approval");
        template.Phases[1].Settings.GetProperty("invalidAttempts").GetInt32().ShouldBe(1);
        template.Phases[1].RepairAttempts.ShouldBeGreaterThanOrEqualTo(1);
        template.Phases[2].References.Select(r => r.Path).ShouldContain(r => r.StartsWith("phases.review", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Design_spec_review_example_parses_and_validates()
    {
        var result = await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewYaml, "application/yaml");

        result.Problems.ShouldBeEmpty();
        var template = result.Template.ShouldNotBeNull();
        template.Name.ShouldBe("spec-review");
        template.Version.ShouldBe(1);
        template.Reference.ShouldBe("spec-review@1");
        template.TimeoutSeconds.ShouldBe(3600);
        template.Budget.ShouldNotBeNull().MaxCostUsd.ShouldBe(5.0m);
        template.Budget.MaxTokens.ShouldBe(200_000);
        template.InputSchema.ShouldNotBeNull();
        template.Phases.Select(p => p.Key).ShouldBe(["spec", "review"]);

        var spec = template.Phases[0];
        spec.Executor.ShouldBe("mock");
        spec.Gates.ShouldBe([new ApprovalGate("spec-approval", null)]);
        spec.References.Single().Path.ShouldBe("inputs.feature");
        spec.ArtifactSchema.ToJsonObject()["required"]!.AsArray().Count.ShouldBe(2);

        var review = template.Phases[1];
        review.SettingsToJsonObject()["invalidAttempts"]!.GetValue<int>().ShouldBe(1);
        review.ReferencedPhases.ShouldBe(["spec"]);
    }

    [Fact]
    public async Task Omitted_fields_get_their_defaults()
    {
        const string minimal = """
            name: minimal
            version: 2
            phases:
              - key: only
                executor: http
                instructions: Do it
                artifact: { schema: { type: object } }
            """;

        var template = (await TemplateValidator.ValidateAsync(minimal)).Template.ShouldNotBeNull();

        template.InputSchema.ShouldBeNull();
        template.Budget.ShouldBeNull();
        template.TimeoutSeconds.ShouldBe(3600);
        var phase = template.Phases.Single();
        phase.RepairAttempts.ShouldBe(1);
        phase.Retry.ShouldBe(new RetryPolicy(3, 1, 2));
        phase.TimeoutSeconds.ShouldBe(300);
        phase.Gates.ShouldBeEmpty();
        phase.SettingsToJsonObject().Count.ShouldBe(0);
    }

    [Fact]
    public async Task Gates_may_be_names_or_objects_with_an_expiry()
    {
        var template = TemplateSamples.SpecReviewWith("phases.0.gates", """["a", { "name": "b", "expiresAfterSeconds": 86400 }]""");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Template.ShouldNotBeNull().Phases[0].Gates.ShouldBe([new ApprovalGate("a", null), new ApprovalGate("b", 86400)]);
    }

    [Fact]
    public async Task Field_paths_and_array_indexes_into_earlier_outputs_are_accepted()
    {
        var template = TemplateSamples.SpecReviewWith(
            "phases.1.instructions", "\"Review {{ phases.spec.output.title }}, step one: {{phases.spec.output.steps.0}} for {{inputs.feature}}\"");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBeEmpty();
    }

    public static TheoryData<string, string, string?, string, string> BrokenRules => new()
    {
        // case, where to change, new JSON value (null = remove), expected problem path, expected message fragment
        { "name missing", "name", null, "$.name", "is required" },
        { "name not a string", "name", "5", "$.name", "must be a string, got a number" },
        { "name pattern", "name", "\"Spec Review\"", "$.name", "^[a-z][a-z0-9-]{0,62}$" },
        { "name too long", "name", $"\"{new string('a', 64)}\"", "$.name", "^[a-z][a-z0-9-]{0,62}$" },
        { "version missing", "version", null, "$.version", "is required" },
        { "version zero", "version", "0", "$.version", "between 1 and" },
        { "version fractional", "version", "1.5", "$.version", "must be an integer" },
        { "version a string", "version", "\"1\"", "$.version", "must be an integer, got a string" },
        { "unknown top-level field", "description", "\"x\"", "$.description", "unknown field" },
        { "unknown inputs field", "inputs.defaults", "{}", "$.inputs.defaults", "unknown field" },
        { "inputs not an object", "inputs", "[]", "$.inputs", "must be an object, got an array" },
        { "input schema not for an object", "inputs.schema.type", "\"string\"", "$.inputs.schema.type", "must be \"object\"" },
        { "input schema invalid draft 7", "inputs.schema.required", "\"feature\"", "$.inputs.schema.required", "not valid JSON Schema draft 7" },
        { "input schema remote $ref", "inputs.schema.properties.feature", """{ "$ref": "https://example.com/feature.json" }""", "$.inputs.schema.properties.feature.$ref", "only local references" },
        { "phases missing", "phases", null, "$.phases", "is required" },
        { "phases empty", "phases", "[]", "$.phases", "at least one phase" },
        { "phase not an object", "phases.1", "\"review\"", "$.phases[1]", "must be an object, got a string" },
        { "unknown phase field", "phases.0.model", "\"gpt\"", "$.phases[0].model", "unknown field" },
        { "phase key missing", "phases.0.key", null, "$.phases[0].key", "is required" },
        { "phase key pattern", "phases.0.key", "\"Spec\"", "$.phases[0].key", "^[a-z][a-z0-9_-]{0,62}$" },
        { "duplicate phase key", "phases.1.key", "\"spec\"", "$.phases[1].key", "duplicate phase key \"spec\" (also $.phases[0].key)" },
        { "executor missing", "phases.0.executor", null, "$.phases[0].executor", "is required" },
        { "unknown executor", "phases.0.executor", "\"shell\"", "$.phases[0].executor", "unknown executor \"shell\"" },
        { "settings not an object", "phases.1.settings", "[1]", "$.phases[1].settings", "must be an object" },
        { "instructions missing", "phases.0.instructions", null, "$.phases[0].instructions", "is required" },
        { "instructions empty", "phases.0.instructions", "\"  \"", "$.phases[0].instructions", "must not be empty" },
        { "instructions too long", "phases.0.instructions", $"\"{new string('x', (32 * 1024) + 1)}\"", "$.phases[0].instructions", "at most 32 KiB" },
        { "artifact missing", "phases.0.artifact", null, "$.phases[0].artifact", "is required" },
        { "artifact schema missing", "phases.0.artifact.schema", null, "$.phases[0].artifact.schema", "is required" },
        { "unknown artifact field", "phases.0.artifact.maxBytes", "1", "$.phases[0].artifact.maxBytes", "unknown field" },
        { "artifact schema invalid type", "phases.0.artifact.schema.type", "\"strng\"", "$.phases[0].artifact.schema.type", "not valid JSON Schema draft 7" },
        { "artifact schema negative length", "phases.0.artifact.schema.properties.title", """{ "type": "string", "minLength": -1 }""", "$.phases[0].artifact.schema.properties.title.minLength", "not valid JSON Schema draft 7" },
        { "artifact schema bad regex", "phases.0.artifact.schema.properties.title", """{ "type": "string", "pattern": "(" }""", "$.phases[0].artifact.schema.properties.title.pattern", "not a valid regular expression" },
        { "artifact schema remote $ref", "phases.0.artifact.schema.properties.title", """{ "$ref": "http://169.254.169.254/latest" }""", "$.phases[0].artifact.schema.properties.title.$ref", "only local references" },
        { "artifact schema file $ref", "phases.0.artifact.schema.properties.title", """{ "$ref": "file:///etc/passwd" }""", "$.phases[0].artifact.schema.properties.title.$ref", "only local references" },
        { "artifact schema absolute $id", "phases.0.artifact.schema.$id", "\"https://example.com/s\"", "$.phases[0].artifact.schema.$id", "absolute identifiers" },
        { "repair attempts too many", "phases.0.repairAttempts", "6", "$.phases[0].repairAttempts", "between 0 and 5" },
        { "repair attempts negative", "phases.0.repairAttempts", "-1", "$.phases[0].repairAttempts", "between 0 and 5" },
        { "retry attempts zero", "phases.0.retry.maxAttempts", "0", "$.phases[0].retry.maxAttempts", "between 1 and 10" },
        { "retry attempts too many", "phases.0.retry.maxAttempts", "11", "$.phases[0].retry.maxAttempts", "between 1 and 10" },
        { "retry backoff negative", "phases.0.retry.backoffSeconds", "-1", "$.phases[0].retry.backoffSeconds", "between 0 and 3600" },
        { "retry multiplier below one", "phases.0.retry.backoffMultiplier", "0.5", "$.phases[0].retry.backoffMultiplier", "between 1 and 10" },
        { "unknown retry field", "phases.0.retry.jitter", "true", "$.phases[0].retry.jitter", "unknown field" },
        { "phase timeout zero", "phases.0.timeoutSeconds", "0", "$.phases[0].timeoutSeconds", "between 1 and 86400" },
        { "gates not an array", "phases.0.gates", "\"spec-approval\"", "$.phases[0].gates", "must be an array" },
        { "gate of a wrong type", "phases.0.gates", "[5]", "$.phases[0].gates[0]", "must be a gate name or" },
        { "gate name pattern", "phases.0.gates", "[\"Spec Approval\"]", "$.phases[0].gates[0]", "^[a-z][a-z0-9_-]{0,62}$" },
        { "duplicate gate names", "phases.0.gates", "[\"a\", \"a\"]", "$.phases[0].gates[1]", "duplicate gate \"a\"" },
        { "duplicate gate name in object form", "phases.0.gates", "[\"a\", { \"name\": \"a\" }]", "$.phases[0].gates[1].name", "duplicate gate \"a\"" },
        { "gate object without a name", "phases.0.gates", "[{ \"expiresAfterSeconds\": 60 }]", "$.phases[0].gates[0].name", "is required" },
        { "gate expiry zero", "phases.0.gates", "[{ \"name\": \"a\", \"expiresAfterSeconds\": 0 }]", "$.phases[0].gates[0].expiresAfterSeconds", "between 1 and" },
        { "unknown gate field", "phases.0.gates", "[{ \"name\": \"a\", \"approvers\": [] }]", "$.phases[0].gates[0].approvers", "unknown field" },
        { "budget cost zero", "budget.maxCostUsd", "0", "$.budget.maxCostUsd", "must be positive" },
        { "budget cost negative", "budget.maxCostUsd", "-1.5", "$.budget.maxCostUsd", "must be positive" },
        { "budget cost a string", "budget.maxCostUsd", "\"5\"", "$.budget.maxCostUsd", "must be a number" },
        { "budget tokens zero", "budget.maxTokens", "0", "$.budget.maxTokens", "must be at least 1" },
        { "budget tokens fractional", "budget.maxTokens", "1.5", "$.budget.maxTokens", "must be an integer" },
        { "unknown budget field", "budget.maxMinutes", "5", "$.budget.maxMinutes", "unknown field" },
        { "run timeout zero", "timeoutSeconds", "0", "$.timeoutSeconds", "between 1 and 604800" },
        { "run timeout too long", "timeoutSeconds", "604801", "$.timeoutSeconds", "between 1 and 604800" },
        { "reference to a later phase", "phases.0.instructions", "\"Use {{phases.review.output}}\"", "$.phases[0].instructions", "which runs later" },
        { "reference to its own output", "phases.1.instructions", "\"Redo {{phases.review.output}}\"", "$.phases[1].instructions", "own output" },
        { "reference to no phase", "phases.1.instructions", "\"Use {{phases.design.output}}\"", "$.phases[1].instructions", "\"design\", which does not exist" },
        { "reference to an undeclared input", "phases.0.instructions", "\"Use {{inputs.audience}}\"", "$.phases[0].instructions", "inputs.schema does not declare (declared: feature)" },
        { "reference to something else", "phases.0.instructions", "\"Home is {{ env.HOME }}\"", "$.phases[0].instructions", "is not a reference" },
        { "expression in braces", "phases.0.instructions", "\"{{ inputs.feature | upper }}\"", "$.phases[0].instructions", "is not a reference" },
        { "empty braces", "phases.0.instructions", "\"{{}}\"", "$.phases[0].instructions", "is not a reference" },
        { "reference never closed", "phases.0.instructions", "\"Write {{inputs.feature\"", "$.phases[0].instructions", "never closed" },
        { "output reference without output", "phases.1.instructions", "\"Review {{phases.spec}}\"", "$.phases[1].instructions", "is not a reference" },
        { "nested input path", "phases.0.instructions", "\"{{inputs.feature.name}}\"", "$.phases[0].instructions", "is not a reference" },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public async Task Each_broken_rule_is_reported_at_its_path(string rule, string path, string? json, string problemPath, string fragment)
    {
        var template = TemplateSamples.SpecReviewWith(path, json);

        var result = await TemplateValidator.ValidateAsync(template);

        result.IsValid.ShouldBeFalse(rule);
        result.Template.ShouldBeNull();
        result.Problems.ShouldContain(
            p => p.Path == problemPath && p.Message.Contains(fragment, StringComparison.Ordinal),
            $"{rule}: got {string.Join(" | ", result.Problems)}");
    }

    [Fact]
    public async Task Reference_to_a_later_phase_is_refused()
    {
        var template = TemplateSamples.SpecReviewWith("phases.0.instructions", "\"Write a spec that passes {{phases.review.output.verdict}}\"");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBe([new ValidationProblem(
            "$.phases[0].instructions",
            "{{phases.review.output.verdict}} refers to phase \"review\", which runs later; only earlier phases' outputs can be referenced")]);
    }

    [Fact]
    public async Task One_bad_template_reports_every_problem_at_once()
    {
        const string bad = """
            name: Bad Name
            version: 0
            owner: someone
            phases:
              - key: spec
                executor: shell
                instructions: "Use {{phases.review.output}} and {{ secrets.key }}"
                artifact: { schema: { type: strng, properties: { x: { $ref: "https://evil.example/s.json" } } } }
                repairAttempts: 9
                gates: [a, a]
              - key: spec
                executor: mock
                instructions: ""
            budget: { maxCostUsd: -1 }
            """;

        var result = await TemplateValidator.ValidateAsync(bad, "application/yaml");

        result.IsValid.ShouldBeFalse();
        result.Problems.Select(p => p.Path).ShouldBe(
            [
                "$.owner",
                "$.name",
                "$.version",
                "$.phases[0].executor",
                "$.phases[0].instructions",
                "$.phases[0].instructions",
                "$.phases[0].artifact.schema.properties.x.$ref",
                "$.phases[0].artifact.schema.type",
                "$.phases[0].repairAttempts",
                "$.phases[0].gates[1]",
                "$.phases[1].key",
                "$.phases[1].instructions",
                "$.phases[1].artifact",
                "$.budget.maxCostUsd",
            ],
            ignoreOrder: true,
            customMessage: string.Join(Environment.NewLine, result.Problems));
    }

    [Fact]
    public async Task More_than_fifty_phases_are_refused()
    {
        var template = TemplateSamples.SpecReview();
        var phases = new JsonArray();
        for (var i = 0; i < 51; i++)
        {
            phases.Add(new JsonObject
            {
                ["key"] = $"p{i}",
                ["executor"] = "mock",
                ["instructions"] = "go",
                ["artifact"] = new JsonObject { ["schema"] = new JsonObject() },
            });
        }

        template["phases"] = phases;

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBe([new ValidationProblem("$.phases", "has 51 phases; at most 50 are allowed")]);
    }

    [Fact]
    public async Task Inputs_may_be_referenced_freely_when_the_input_schema_declares_no_properties()
    {
        var template = TemplateSamples.SpecReviewWith("inputs", null);
        TemplateSamples.Set(template, "phases.0.instructions", "\"{{inputs.anything}}\"");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBeEmpty();
    }

    [Fact]
    public async Task Local_references_inside_schemas_are_accepted()
    {
        var template = TemplateSamples.SpecReviewWith(
            "phases.0.artifact.schema",
            """{ "definitions": { "step": { "type": "string" } }, "type": "object", "properties": { "steps": { "type": "array", "items": { "$ref": "#/definitions/step" } } } }""");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBeEmpty();
        result.Template!.Phases[0].ArtifactSchema.Validate(JsonNode.Parse("""{ "steps": [1] }""")).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Validation_does_not_change_the_template_it_reads()
    {
        var template = TemplateSamples.SpecReview();
        var before = template.ToJsonString();

        await TemplateValidator.ValidateAsync(template);

        template.ToJsonString().ShouldBe(before);
    }

    [Fact]
    public async Task A_template_object_over_256_KiB_is_refused()
    {
        var template = TemplateSamples.SpecReviewWith("phases.1.settings", $$"""{ "padding": "{{new string('x', 256 * 1024)}}" }""");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBe([new ValidationProblem("$", "the template is larger than 256 KiB")]);
    }
}
