using System.Text.Json.Nodes;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class InstructionRendererTests
{
    private static readonly JsonObject s_inputs = Json("""
        { "feature": "login", "count": 5, "ratio": 2.50, "flag": true, "nothing": null,
          "tags": ["b", "a"], "owner": { "name": "Ana", "id": 7 }, "quote": "say \"hi\"\n" }
        """);

    private static readonly Dictionary<string, JsonNode?> s_outputs = new()
    {
        ["spec"] = Json("""{ "title": "Login", "steps": ["ask", "check"], "meta": { "owner": "Ana", "score": 1.0 } }"""),
        ["plan"] = Json("""{ "z": 1, "a": [true, null] }"""),
    };

    public static TheoryData<string, string> Renderings => new()
    {
        // instructions, rendered text
        { "Write a spec for {{inputs.feature}}", "Write a spec for login" },
        { "Write a spec for {{ inputs.feature }}.", "Write a spec for login." },
        { "{{\tinputs.feature\n}}", "login" },
        { "Count {{inputs.count}}, ratio {{inputs.ratio}}", "Count 5, ratio 2.5" },
        { "{{inputs.flag}}/{{inputs.nothing}}", "true/null" },
        { "Tags {{inputs.tags}}", "Tags [\"b\",\"a\"]" },
        { "Owner {{inputs.owner}}", "Owner {\"id\":7,\"name\":\"Ana\"}" },
        { "{{inputs.quote}}", "say \"hi\"\n" },
        { "Review {{phases.spec.output}}", "Review {\"meta\":{\"owner\":\"Ana\",\"score\":1},\"steps\":[\"ask\",\"check\"],\"title\":\"Login\"}" },
        { "Title: {{phases.spec.output.title}}", "Title: Login" },
        { "Steps: {{phases.spec.output.steps}}", "Steps: [\"ask\",\"check\"]" },
        { "First: {{phases.spec.output.steps.0}}", "First: ask" },
        { "Owner: {{ phases.spec.output.meta.owner }}", "Owner: Ana" },
        { "Score: {{phases.spec.output.meta.score}}", "Score: 1" },
        { "Plan {{phases.plan.output}}", "Plan {\"a\":[true,null],\"z\":1}" },
        { "No references, { single braces } and }} stay", "No references, { single braces } and }} stay" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(Renderings))]
    public void References_are_replaced_by_their_values(string instructions, string expected)
    {
        var result = InstructionRenderer.Render(instructions, s_inputs, s_outputs);

        result.MissingReferences.ShouldBeEmpty();
        result.Rendered!.Text.ShouldBe(expected);
    }

    [Fact]
    public void Only_the_referenced_earlier_outputs_are_returned()
    {
        var result = InstructionRenderer.Render("Use {{phases.plan.output.z}} and {{phases.plan.output}} for {{inputs.feature}}", s_inputs, s_outputs);

        var rendered = result.Rendered.ShouldNotBeNull();
        rendered.ReferencedPhases.ShouldBe(["plan"]);
        rendered.ReferencedOutputs.Select(p => p.Key).ShouldBe(["plan"]);
        JsonNode.DeepEquals(rendered.ReferencedOutputs["plan"], s_outputs["plan"]).ShouldBeTrue();
    }

    [Fact]
    public void Referenced_outputs_are_copies()
    {
        var rendered = InstructionRenderer.Render("{{phases.spec.output}}", s_inputs, s_outputs).Rendered!;

        rendered.ReferencedOutputs["spec"]!["title"] = "changed";

        s_outputs["spec"]!["title"]!.GetValue<string>().ShouldBe("Login");
    }

    [Fact]
    public void Instructions_without_phase_references_carry_no_outputs()
    {
        var rendered = InstructionRenderer.Render("Write {{inputs.feature}}", s_inputs, s_outputs).Rendered!;

        rendered.ReferencedPhases.ShouldBeEmpty();
        rendered.ReferencedOutputs.Count.ShouldBe(0);
    }

    [Fact]
    public void Every_missing_input_is_listed_once()
    {
        var result = InstructionRenderer.Render("{{inputs.audience}} {{inputs.feature}} {{inputs.deadline}} {{ inputs.audience }}", s_inputs, s_outputs);

        result.IsRendered.ShouldBeFalse();
        result.Rendered.ShouldBeNull();
        result.MissingReferences.ShouldBe(["inputs.audience", "inputs.deadline"]);
    }

    [Fact]
    public void Missing_outputs_and_output_fields_are_listed()
    {
        var result = InstructionRenderer.Render(
            "{{phases.review.output}} {{phases.spec.output.summary}} {{phases.spec.output.steps.5}} {{phases.spec.output.title.length}}", s_inputs, s_outputs);

        result.MissingReferences.ShouldBe(
            ["phases.review.output", "phases.spec.output.summary", "phases.spec.output.steps.5", "phases.spec.output.title.length"]);
    }

    [Fact]
    public async Task A_phase_of_a_validated_template_renders()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewYaml)).Template!;

        var rendered = InstructionRenderer.Render(template.Phases[1], s_inputs, s_outputs).Rendered!;

        rendered.Text.ShouldStartWith("Review {\"meta\":");
        rendered.ReferencedPhases.ShouldBe(["spec"]);
    }

    [Fact]
    public void Malformed_instructions_are_a_programming_error()
    {
        Should.Throw<ArgumentException>(() => InstructionRenderer.Render("{{ env.HOME }}", s_inputs, s_outputs));
    }

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();
}
