using System.Text.Json.Nodes;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

/// <summary>A template with <c>null</c> for any of its fields is refused with a problem at that field, never an exception.</summary>
public sealed class TemplateNullFieldsTests
{
    /// <summary>Every field of the spec-review sample outside the free-form schemas and settings, e.g. <c>phases.0.retry.maxAttempts</c>.</summary>
    public static TheoryData<string> Fields()
    {
        var data = new TheoryData<string>();
        foreach (var path in FieldsOf(TemplateSamples.SpecReview(), ""))
        {
            data.Add(path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task A_null_field_is_refused_at_its_path(string field)
    {
        var template = TemplateSamples.SpecReviewWith(field, "null");

        var result = await TemplateValidator.ValidateAsync(template);

        result.IsValid.ShouldBeFalse(field);
        var path = "$" + string.Concat(field.Split('.').Select(s => int.TryParse(s, out var i) ? $"[{i}]" : "." + s));
        result.Problems.ShouldContain(p => p.Path == path, $"{field}: got {string.Join(" | ", result.Problems)}");
    }

    private static IEnumerable<string> FieldsOf(JsonNode node, string prefix)
    {
        var children = node switch
        {
            JsonObject obj => obj.Select(p => (p.Key, p.Value)),
            JsonArray array => array.Select((v, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), v)),
            _ => [],
        };
        foreach (var (name, child) in children)
        {
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            yield return path;
            if (child is not null && name is not "schema" and not "settings")
            {
                foreach (var nested in FieldsOf(child, path))
                {
                    yield return nested;
                }
            }
        }
    }
}
