namespace RunMesh.Contracts;

/// <summary>
/// Identifies the exact workflow template a run executed.
/// </summary>
public sealed record TemplateRef
{
    /// <summary>The template's name, e.g. <c>spec-review</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The template's version, a positive integer.</summary>
    public required int Version { get; init; }

    /// <summary>The template's content hash: <c>sha256:…</c> of its canonical JSON (RFC 8785).</summary>
    public required string Hash { get; init; }
}
