using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// Reads a template's text, YAML or JSON, into its JSON form (<see cref="ObjectDocument"/> within
/// <see cref="TemplateLimits"/>). Both notations give the same JSON for the same content, so they give the same
/// <see cref="TemplateHash"/>. What the JSON must contain is <see cref="TemplateValidator"/>'s business.
/// </summary>
public static class TemplateDocument
{
    /// <summary>A template's name in messages, its largest size and deepest nesting.</summary>
    public static DocumentLimits Limits { get; } = new("template", TemplateLimits.MaxTemplateBytes, TemplateLimits.MaxDepth);

    /// <inheritdoc cref="ObjectDocument.Parse"/>
    public static ObjectDocumentResult Parse(string text, string? contentType = null) => ObjectDocument.Parse(text, contentType, Limits);
}
