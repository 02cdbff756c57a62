using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

/// <summary>
/// The API document's shape of a template (<see cref="TemplateDefinitionDocument"/>, the request body of
/// <c>POST /api/templates</c>) takes every template the validator accepts, and refuses an unknown field where the
/// validator does.
/// </summary>
public sealed class TemplateDefinitionDocumentTests
{
    private static readonly JsonSerializerOptions s_strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static TheoryData<string, JsonObject> Templates => new()
    {
        { "spec-review", TemplateSamples.SpecReview() },
        { "write-book (a run phase)", TemplateSamples.WriteBook() },
        { "gates with an expiry", TemplateSamples.SpecReviewWith("phases.0.gates", """["legal", {"name": "ops", "expiresAfterSeconds": 60}]""") },
        {
            "nothing optional",
            JsonNode.Parse("""{"name": "minimal", "version": 1, "phases": [{"key": "only", "executor": "mock", "instructions": "Say hi", "artifact": {"schema": {"type": "object"}}}]}""")!.AsObject()
        },
    };

    public static TheoryData<string> Levels => new() { "", "inputs.", "phases.0.", "phases.0.artifact.", "phases.0.retry.", "budget." };

    [Theory]
    [MemberData(nameof(Templates))]
    public async Task A_template_the_validator_accepts_is_a_TemplateDefinitionDocument(string name, JsonObject template)
    {
        (await TemplateValidator.ValidateAsync(template)).Problems.ShouldBeEmpty(name);

        var document = Read(template);

        document.Name.ShouldBe(template["name"]!.GetValue<string>(), name);
        document.Phases.Select(p => p.Key).ShouldBe(template["phases"]!.AsArray().Select(p => p!["key"]!.GetValue<string>()), name);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task An_unknown_field_is_refused_by_both(string level)
    {
        var template = TemplateSamples.SpecReviewWith(level + "colour", "\"red\"");

        (await TemplateValidator.ValidateAsync(template)).Problems.ShouldNotBeEmpty();
        Should.Throw<JsonException>(() => Read(template));
    }

    /// <summary>Read as a client would send it: numbers in their canonical spelling (an integer as <c>300</c>, not <c>3e2</c>).</summary>
    private static TemplateDefinitionDocument Read(JsonObject template) =>
        JsonSerializer.Deserialize<TemplateDefinitionDocument>(CanonicalJson.SerializeToString(template), s_strict)!;
}
