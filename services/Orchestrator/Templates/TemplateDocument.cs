using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Orchestrator.Templates;

/// <summary>The notation a template was written in.</summary>
public enum TemplateFormat
{
    /// <summary>JSON (RFC 8259).</summary>
    Json,

    /// <summary>YAML 1.2, one document, no anchors, aliases or custom tags.</summary>
    Yaml,
}

/// <summary>The outcome of <see cref="TemplateDocument.Parse"/>: the template's JSON form, or why there is none.</summary>
/// <param name="Json">The template as a JSON object; <see langword="null"/> when <see cref="Problems"/> is not empty.</param>
/// <param name="Format">The notation it was read as.</param>
/// <param name="Problems">Why the text could not be read; empty on success.</param>
public sealed record TemplateDocumentResult(JsonObject? Json, TemplateFormat Format, IReadOnlyList<ValidationProblem> Problems)
{
    /// <summary>Whether the text was read.</summary>
    public bool IsParsed => Json is not null;
}

/// <summary>
/// Reads a template's text, YAML or JSON, into its JSON form. Both notations give the same JSON for the same content,
/// so they give the same <see cref="TemplateHash"/>. What the JSON must contain is <see cref="TemplateValidator"/>'s business.
/// </summary>
public static class TemplateDocument
{
    private static readonly JsonDocumentOptions s_jsonOptions = new()
    {
        MaxDepth = TemplateLimits.MaxDepth,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Reads <paramref name="text"/>. A content type naming JSON (<c>application/json</c>, <c>…+json</c>) or YAML
    /// (<c>application/yaml</c>, <c>text/yaml</c>, <c>…x-yaml</c>) decides the notation; without one, JSON is tried
    /// first and YAML second.
    /// </summary>
    public static TemplateDocumentResult Parse(string text, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(text);

        var declared = FormatOf(contentType);
        if (Encoding.UTF8.GetByteCount(text) > TemplateLimits.MaxTemplateBytes)
        {
            return Failed(declared ?? TemplateFormat.Json, $"the template is larger than {TemplateLimits.MaxTemplateBytes / 1024} KiB");
        }

        switch (declared)
        {
            case TemplateFormat.Json:
                return FromJson(text);
            case TemplateFormat.Yaml:
                return FromYaml(text);
        }

        var json = FromJson(text);
        if (json.IsParsed)
        {
            return json;
        }

        var yaml = FromYaml(text);
        // JSON's message is the useful one for text that was meant as JSON.
        return yaml.IsParsed || !text.TrimStart().StartsWith('{') ? yaml : json;
    }

    private static TemplateFormat? FormatOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        if (mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return TemplateFormat.Json;
        }

        if (mediaType.EndsWith("yaml", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("yml", StringComparison.OrdinalIgnoreCase))
        {
            return TemplateFormat.Yaml;
        }

        return null;
    }

    private static TemplateDocumentResult FromJson(string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: s_jsonOptions);
        }
        catch (JsonException ex)
        {
            // System.Text.Json's messages name the line and position, and nothing about this process.
            return Failed(TemplateFormat.Json, $"invalid JSON: {ex.Message}");
        }

        return node is JsonObject obj
            ? new TemplateDocumentResult(obj, TemplateFormat.Json, [])
            : Failed(TemplateFormat.Json, "a template must be a JSON object");
    }

    private static TemplateDocumentResult FromYaml(string text)
    {
        var problems = new List<ValidationProblem>();
        var node = YamlJson.Convert(text, problems);
        if (problems.Count > 0)
        {
            return new TemplateDocumentResult(null, TemplateFormat.Yaml, problems);
        }

        return node is JsonObject obj
            ? new TemplateDocumentResult(obj, TemplateFormat.Yaml, [])
            : Failed(TemplateFormat.Yaml, "a template must be a YAML mapping");
    }

    private static TemplateDocumentResult Failed(TemplateFormat format, string message) =>
        new(null, format, [new ValidationProblem("$", message)]);
}
