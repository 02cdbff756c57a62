using RunMesh.Orchestrator.Templates;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Orchestrator.Tests.Templates;

/// <summary>
/// A template whose input or artifact schema references anything outside itself is refused at registration, however
/// the keyword is cased, and nothing is fetched.
/// </summary>
public sealed class SchemaReferenceRegistrationTests
{
    // (where in the template, the schema placed there; {0} is the hostile keyword and value).
    public static TheoryData<string, string, string> Placements
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var (schemaPath, problemPath) in new[]
            {
                ("inputs.schema", "$.inputs.schema"),
                ("phases.0.artifact.schema", "$.phases[0].artifact.schema"),
            })
            {
                data.Add(schemaPath, problemPath, """{ "type": "object", "properties": { "feature": { "type": "string" } }, {0} }""");
                data.Add(schemaPath, problemPath, """{ "type": "object", "properties": { "feature": { {0} } } }""");
                data.Add(schemaPath, problemPath, """{ "type": "object", "definitions": { "d": { {0} } } }""");
                data.Add(schemaPath, problemPath, """{ "type": "object", "properties": { "steps": { "type": "array", "items": { {0} } } } }""");
                data.Add(schemaPath, problemPath, """{ "type": "object", "allOf": [ { "type": "object" }, { {0} } ] }""");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Placements))]
    public async Task A_reference_to_a_listener_is_refused_in_every_casing_and_the_listener_gets_nothing(string schemaPath, string problemPath, string schema)
    {
        await using var listener = await FakeServer.AnsweringAsync(200, """{ "type": "string" }""");
        var url = new Uri(listener.BaseAddress, "/schema.json").ToString();

        foreach (var keyword in new[] { "$REF", "$Ref", "$rEF", "$ID", "$Id" })
        {
            var template = TemplateSamples.SpecReviewWith(schemaPath, schema.Replace("{0}", $"\"{keyword}\": \"{url}\"", StringComparison.Ordinal));

            var result = await TemplateValidator.ValidateAsync(template);

            result.IsValid.ShouldBeFalse($"{keyword} in {schema}");
            result.Problems.ShouldContain(
                p => p.Path.StartsWith(problemPath, StringComparison.Ordinal) && p.Path.EndsWith("." + keyword, StringComparison.Ordinal),
                $"{keyword} in {schema}: got {string.Join(" | ", result.Problems)}");
        }

        listener.Requests.ShouldBeEmpty();
    }
}
