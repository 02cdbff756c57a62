using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Tests.Studies.Definition;

/// <summary>
/// The API document's shape of a study definition (<see cref="StudyDefinitionDocument"/>, the request body of
/// <c>POST /api/studies</c>) takes the definitions the reader accepts, and refuses an unknown field where the reader does.
/// </summary>
public sealed class StudyDefinitionDocumentTests
{
    private static readonly JsonSerializerOptions s_strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static TheoryData<string, JsonObject> Definitions => new()
    {
        { "tone-ablation, YAML", ObjectDocument.Parse(StudySamples.ToneAblationYaml, "application/yaml", new DocumentLimits("study definition", 1 << 20, 64)).Json! },
        { "tone-ablation, JSON", StudySamples.ToneAblation() },
        { "nothing optional", StudySamples.Minimal() },
    };

    [Theory]
    [MemberData(nameof(Definitions))]
    public void A_definition_the_reader_accepts_is_a_StudyDefinitionDocument(string name, JsonObject definition)
    {
        StudyDefinitionReader.Read(definition).Problems.ShouldBeEmpty(name);

        var document = Read(definition);

        document.Name.ShouldBe(definition["name"]!.GetValue<string>(), name);
        document.Template.ShouldBe(definition["template"]!.GetValue<string>(), name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("budget.")]
    public void An_unknown_field_is_refused_by_both(string level)
    {
        var definition = StudySamples.ToneAblation();
        var target = level.Length == 0 ? definition : definition[level.TrimEnd('.')]!.AsObject();
        target["colour"] = "red";

        StudyDefinitionReader.Read(definition).Problems.ShouldNotBeEmpty();
        Should.Throw<JsonException>(() => Read(definition));
    }

    /// <summary>Read as a client would send it: numbers in their canonical spelling (<c>7</c>, not <c>7.0</c>).</summary>
    private static StudyDefinitionDocument Read(JsonObject definition) =>
        JsonSerializer.Deserialize<StudyDefinitionDocument>(CanonicalJson.SerializeToString(definition), s_strict)!;
}
