using System.Text.Json.Nodes;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class RunPhaseValidationTests
{
    private const string Hash = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task A_run_phase_without_instructions_registers_with_its_settings_and_references()
    {
        var result = await TemplateValidator.ValidateAsync(TemplateSamples.WriteBookYaml, "application/yaml");

        result.Problems.ShouldBeEmpty();
        var chapters = result.Template.ShouldNotBeNull().Phases[1];
        chapters.Executor.ShouldBe(PhaseExecutors.Run);
        chapters.Instructions.ShouldBeEmpty();
        chapters.References.ShouldBeEmpty();
        chapters.ChildInputReferences.Select(r => r.Path).ShouldBe(
        [
            "phases.outline.output.chapters",
            "item.title", "item.words", "index", "index", "item.title", "inputs.style",
            "inputs.topic", "phases.outline.output.chapters", "inputs.audience",
        ]);

        var settings = ChildRunSettings.Of(chapters.SettingsToJsonObject());
        settings.Template.ShouldBe("write-chapter@2");
        settings.ForEach.ShouldBe("phases.outline.output.chapters");
        settings.MaxParallel.ShouldBe(4);
        settings.Inputs["draft"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task A_single_child_run_needs_only_a_template_and_gets_the_defaults()
    {
        const string minimal = """
            name: nightly
            version: 1
            phases:
              - key: digest
                executor: run
                settings: { template: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }
                artifact: { schema: { type: object } }
            """;

        var template = (await TemplateValidator.ValidateAsync(minimal)).Template.ShouldNotBeNull();

        var settings = ChildRunSettings.Of(template.Phases.Single().SettingsToJsonObject());
        settings.ShouldBe(settings with { Template = Hash, ForEach = null, MaxParallel = ChildRunSettings.DefaultMaxParallel });
        settings.Inputs.Count.ShouldBe(0);
        ChildRunSettings.DefaultMaxParallel.ShouldBe(8);
    }

    public static TheoryData<string, string, string?, string, string> BrokenRules => new()
    {
        // case, where to change in write-book (phase 1 is the run phase), new JSON value (null = remove), expected problem path, expected message fragment
        { "settings missing", "phases.1.settings", null, "$.phases[1].settings", "is required" },
        { "settings not an object", "phases.1.settings", "\"write-chapter@2\"", "$.phases[1].settings", "must be an object, got a string" },
        { "template missing", "phases.1.settings.template", null, "$.phases[1].settings.template", "is required" },
        { "template not a string", "phases.1.settings.template", "2", "$.phases[1].settings.template", "must be a string, got a number" },
        { "template without version", "phases.1.settings.template", "\"write-chapter\"", "$.phases[1].settings.template", "must be name@version" },
        { "template version zero", "phases.1.settings.template", "\"write-chapter@0\"", "$.phases[1].settings.template", "must be name@version" },
        { "template version with a leading zero", "phases.1.settings.template", "\"write-chapter@02\"", "$.phases[1].settings.template", "must be name@version" },
        { "template version not an integer", "phases.1.settings.template", "\"write-chapter@2.1\"", "$.phases[1].settings.template", "must be name@version" },
        { "template version beyond an int", "phases.1.settings.template", "\"write-chapter@2147483648\"", "$.phases[1].settings.template", "must be name@version" },
        { "template name pattern", "phases.1.settings.template", "\"Write Chapter@2\"", "$.phases[1].settings.template", "got \"Write Chapter@2\"" },
        { "template without name", "phases.1.settings.template", "\"@2\"", "$.phases[1].settings.template", "must be name@version" },
        { "template hash in upper case", "phases.1.settings.template", $"\"{Hash.ToUpperInvariant()}\"", "$.phases[1].settings.template", "64 lower-case hex digits" },
        { "template hash too short", "phases.1.settings.template", "\"sha256:0123abcd\"", "$.phases[1].settings.template", "64 lower-case hex digits" },
        { "maxParallel zero", "phases.1.settings.maxParallel", "0", "$.phases[1].settings.maxParallel", "must be between 1 and 256" },
        { "maxParallel 257", "phases.1.settings.maxParallel", "257", "$.phases[1].settings.maxParallel", "must be between 1 and 256" },
        { "maxParallel fractional", "phases.1.settings.maxParallel", "2.5", "$.phases[1].settings.maxParallel", "must be an integer, got 2.5" },
        { "maxParallel a string", "phases.1.settings.maxParallel", "\"4\"", "$.phases[1].settings.maxParallel", "must be an integer, got a string" },
        { "unknown settings field", "phases.1.settings.latencyMs", "20", "$.phases[1].settings.latencyMs", "unknown field (allowed here: template, inputs, forEach, maxParallel)" },
        { "inputs not an object", "phases.1.settings.inputs", "[\"{{item}}\"]", "$.phases[1].settings.inputs", "must be an object, got an array" },
        { "forEach not a string", "phases.1.settings.forEach", "[1, 2]", "$.phases[1].settings.forEach", "must be a string, got an array" },
        { "forEach to a later phase", "phases.1.settings.forEach", "\"phases.edit.output.text\"", "$.phases[1].settings.forEach", "phases.edit.output.text refers to phase \"edit\", which runs later" },
        { "forEach to the phase itself", "phases.1.settings.forEach", "\"phases.chapters.output.items\"", "$.phases[1].settings.forEach", "refers to this phase's own output" },
        { "forEach to no phase", "phases.1.settings.forEach", "\"phases.toc.output.chapters\"", "$.phases[1].settings.forEach", "phase \"toc\", which does not exist" },
        { "forEach to an undeclared input", "phases.1.settings.forEach", "\"inputs.chapters\"", "$.phases[1].settings.forEach", "inputs.chapters refers to an input that inputs.schema does not declare (declared: audience, style, topic)" },
        { "forEach in braces", "phases.1.settings.forEach", "\"{{phases.outline.output.chapters}}\"", "$.phases[1].settings.forEach", "must be a reference to an array written without braces" },
        { "forEach to something else", "phases.1.settings.forEach", "\"outline.chapters\"", "$.phases[1].settings.forEach", "got \"outline.chapters\"" },
        { "forEach with a trailing space", "phases.1.settings.forEach", "\"inputs.topic \"", "$.phases[1].settings.forEach", "written without braces" },
        { "forEach over the item", "phases.1.settings.forEach", "\"item\"", "$.phases[1].settings.forEach", "written without braces" },
        { "item without forEach", "phases.1.settings.forEach", null, "$.phases[1].settings.inputs.title", "{{item.title}} is available only when settings.forEach is set" },
        { "index without forEach", "phases.1.settings.forEach", null, "$.phases[1].settings.inputs.n", "{{index}} is available only when settings.forEach is set" },
        { "undeclared input in inputs", "phases.1.settings.inputs.style", "\"{{inputs.tone}}\"", "$.phases[1].settings.inputs.style", "{{inputs.tone}} refers to an input that inputs.schema does not declare" },
        { "undeclared input in a nested object", "phases.1.settings.inputs.book.topic", "\"About {{inputs.subject}}\"", "$.phases[1].settings.inputs.book.topic", "{{inputs.subject}} refers to an input" },
        { "undeclared input in an array", "phases.1.settings.inputs.book.tags.1", "\"{{inputs.tone}}\"", "$.phases[1].settings.inputs.book.tags[1]", "does not declare" },
        { "later phase in inputs", "phases.1.settings.inputs.style", "\"{{phases.edit.output.text}}\"", "$.phases[1].settings.inputs.style", "which runs later" },
        { "own output in inputs", "phases.1.settings.inputs.style", "\"{{phases.chapters.output}}\"", "$.phases[1].settings.inputs.style", "own output" },
        { "something else in inputs", "phases.1.settings.inputs.style", "\"{{ env.HOME }}\"", "$.phases[1].settings.inputs.style", "only {{inputs.NAME}}, {{phases.KEY.output}}, {{phases.KEY.output.FIELD}}, {{item}}, {{item.FIELD}} and {{index}} are evaluated" },
        { "index with a field", "phases.1.settings.inputs.n", "\"{{index.0}}\"", "$.phases[1].settings.inputs.n", "is not a reference" },
        { "reference never closed in inputs", "phases.1.settings.inputs.title", "\"{{item.title\"", "$.phases[1].settings.inputs.title", "never closed" },
        { "blank instructions given", "phases.1.instructions", "\" \"", "$.phases[1].instructions", "must not be empty" },
        { "item in an ordinary phase's instructions", "phases.2.instructions", "\"Edit {{item.title}}\"", "$.phases[2].instructions", "only {{inputs.NAME}}, {{phases.KEY.output}} and {{phases.KEY.output.FIELD}} are evaluated" },
        { "index in an ordinary phase's instructions", "phases.2.instructions", "\"Edit {{index}}\"", "$.phases[2].instructions", "is not a reference" },
        { "ordinary phase without instructions", "phases.2.instructions", null, "$.phases[2].instructions", "is required" },
        { "unknown executor lists run", "phases.0.executor", "\"shell\"", "$.phases[0].executor", "unknown executor \"shell\" (known: mock, openai, http, run)" },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public async Task Each_broken_rule_of_a_run_phase_is_reported_at_its_path(string rule, string path, string? json, string problemPath, string fragment)
    {
        var template = TemplateSamples.WriteBookWith(path, json);

        var result = await TemplateValidator.ValidateAsync(template);

        result.IsValid.ShouldBeFalse(rule);
        result.Problems.ShouldContain(
            p => p.Path == problemPath && p.Message.Contains(fragment, StringComparison.Ordinal),
            $"{rule}: got {string.Join(" | ", result.Problems)}");
    }

    [Fact]
    public async Task Every_problem_of_a_run_phase_is_listed_at_once()
    {
        var template = TemplateSamples.WriteBook();
        TemplateSamples.Set(template, "phases.1.settings", """
            { "template": "write-chapter", "maxParallel": 0, "forEach": "phases.edit.output.parts", "parallel": true,
              "inputs": { "title": "{{item.title}}", "tone": "{{inputs.tone}}", "deep": [{ "x": "{{ secrets.key }}" }] } }
            """);

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.Select(p => p.ToString()).ShouldBe(
            [
                "$.phases[1].settings.parallel: unknown field (allowed here: template, inputs, forEach, maxParallel)",
                "$.phases[1].settings.template: must be name@version (a template name, ^[a-z][a-z0-9-]{0,62}$, and an integer version from 1, e.g. write-chapter@2) or sha256: and 64 lower-case hex digits, got \"write-chapter\"",
                "$.phases[1].settings.maxParallel: must be between 1 and 256",
                "$.phases[1].settings.forEach: phases.edit.output.parts refers to phase \"edit\", which runs later; only earlier phases' outputs can be referenced",
                "$.phases[1].settings.inputs.tone: {{inputs.tone}} refers to an input that inputs.schema does not declare (declared: audience, style, topic)",
                "$.phases[1].settings.inputs.deep[0].x: \"{{ secrets.key }}\" at offset 0 is not a reference: only {{inputs.NAME}}, {{phases.KEY.output}}, {{phases.KEY.output.FIELD}}, {{item}}, {{item.FIELD}} and {{index}} are evaluated",
            ],
            ignoreOrder: true);
    }

    [Fact]
    public async Task A_run_phase_may_iterate_over_a_declared_input_and_keep_instructions()
    {
        var template = TemplateSamples.WriteBookWith("phases.1.settings.forEach", "\"inputs.audience\"");
        TemplateSamples.Set(template, "phases.1.instructions", "\"One chapter per outline entry of {{inputs.topic}}\"");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBeEmpty();
        var chapters = result.Template!.Phases[1];
        chapters.References.Single().Path.ShouldBe("inputs.topic");
        chapters.ChildInputReferences[0].Path.ShouldBe("inputs.audience");
    }

    [Fact]
    public async Task Settings_of_other_executors_are_still_not_checked()
    {
        var template = TemplateSamples.WriteBookWith("phases.0.settings", """{ "template": 5, "forEach": "{{item}}", "maxParallel": 0 }""");

        var result = await TemplateValidator.ValidateAsync(template);

        result.Problems.ShouldBeEmpty();
        result.Template!.Phases[0].ChildInputReferences.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_run_phase_changes_nothing_at_admission_but_its_referenced_inputs()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.WriteBookYaml)).Template!;
        var inputs = new JsonObject { ["topic"] = "tides", ["audience"] = "children" };

        RunInputs.Validate(template, inputs).Select(p => p.ToString())
            .ShouldBe(["$.inputs.style: is missing, and phase \"chapters\"'s settings reference it"]);
        inputs["style"] = "plain";
        RunInputs.Validate(template, inputs).ShouldBeEmpty();
        InstructionSize.CheckAtAdmission(template, inputs, limitBytes: 1).Select(p => p.Message)
            .ShouldBe(["phase \"outline\"'s instructions render to 45 bytes, over the limit of 1 bytes"]);
        TemplateHash.Of(TemplateSamples.WriteBook()).ShouldBe(template.Hash);
    }
}
