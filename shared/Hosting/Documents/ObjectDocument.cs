using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Hosting.Documents;

/// <summary>The notation a document was written in.</summary>
public enum DocumentFormat
{
    /// <summary>JSON (RFC 8259).</summary>
    Json,

    /// <summary>YAML 1.2, one document, no anchors, aliases or custom tags (see <see cref="YamlJson"/>).</summary>
    Yaml,
}

/// <summary>What a kind of document is called in messages, and how large and deep it may be.</summary>
/// <param name="Noun">The document's name in messages: <c>template</c>, <c>study definition</c>.</param>
/// <param name="MaxBytes">The largest text accepted, in UTF-8 bytes; larger text is refused before it is parsed.</param>
/// <param name="MaxDepth">The deepest nesting of objects and arrays accepted.</param>
public sealed record DocumentLimits(string Noun, int MaxBytes, int MaxDepth);

/// <summary>The outcome of <see cref="ObjectDocument.Parse"/>: the document's JSON form, or why there is none.</summary>
/// <param name="Json">The document as a JSON object; <see langword="null"/> when <see cref="Problems"/> is not empty.</param>
/// <param name="Format">The notation it was read as.</param>
/// <param name="Problems">Why the text could not be read; empty on success.</param>
public sealed record ObjectDocumentResult(JsonObject? Json, DocumentFormat Format, IReadOnlyList<ValidationProblem> Problems)
{
    /// <summary>Whether the text was read.</summary>
    public bool IsParsed => Json is not null;
}

/// <summary>
/// Reads a document whose content is a JSON object — written in YAML or JSON — into that object. Both notations give
/// the same JSON for the same content, so they give the same digest. What the object must contain is the caller's
/// business.
/// </summary>
public static class ObjectDocument
{
    /// <summary>
    /// Reads <paramref name="text"/>. A content type naming JSON (<c>application/json</c>, <c>…+json</c>) or YAML
    /// (<c>application/yaml</c>, <c>text/yaml</c>, <c>…x-yaml</c>) decides the notation; without one, JSON is tried
    /// first and YAML second.
    /// </summary>
    public static ObjectDocumentResult Parse(string text, string? contentType, DocumentLimits limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);

        var declared = FormatOf(contentType);
        if (Encoding.UTF8.GetByteCount(text) > limits.MaxBytes)
        {
            return Failed(declared ?? DocumentFormat.Json, $"the {limits.Noun} is larger than {limits.MaxBytes / 1024} KiB");
        }

        switch (declared)
        {
            case DocumentFormat.Json:
                return FromJson(text, limits);
            case DocumentFormat.Yaml:
                return FromYaml(text, limits);
        }

        var json = FromJson(text, limits);
        if (json.IsParsed)
        {
            return json;
        }

        var yaml = FromYaml(text, limits);
        // JSON's message is the useful one for text that was meant as JSON.
        return yaml.IsParsed || !text.TrimStart().StartsWith('{') ? yaml : json;
    }

    private static DocumentFormat? FormatOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        if (mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return DocumentFormat.Json;
        }

        if (mediaType.EndsWith("yaml", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("yml", StringComparison.OrdinalIgnoreCase))
        {
            return DocumentFormat.Yaml;
        }

        return null;
    }

    private static ObjectDocumentResult FromJson(string text, DocumentLimits limits)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = limits.MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            return Failed(DocumentFormat.Json, $"invalid JSON: {SyntaxErrors.OfJson(ex, text)}");
        }

        return node is JsonObject obj
            ? new ObjectDocumentResult(obj, DocumentFormat.Json, [])
            : Failed(DocumentFormat.Json, $"a {limits.Noun} must be a JSON object");
    }

    private static ObjectDocumentResult FromYaml(string text, DocumentLimits limits)
    {
        var problems = new List<ValidationProblem>();
        var node = YamlJson.Convert(text, limits.MaxDepth, problems);
        if (problems.Count > 0)
        {
            return new ObjectDocumentResult(null, DocumentFormat.Yaml, problems);
        }

        return node is JsonObject obj
            ? new ObjectDocumentResult(obj, DocumentFormat.Yaml, [])
            : Failed(DocumentFormat.Yaml, $"a {limits.Noun} must be a YAML mapping");
    }

    private static ObjectDocumentResult Failed(DocumentFormat format, string message) =>
        new(null, format, [new ValidationProblem("$", message)]);
}
