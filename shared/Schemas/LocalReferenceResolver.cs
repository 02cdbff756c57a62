using NJsonSchema;
using NJsonSchema.References;

namespace RunMesh.Schemas;

/// <summary>
/// NJsonSchema's reference resolver, allowed to resolve only references inside the schema itself (<c>#</c>, <c>#/…</c>).
/// NJsonSchema's own would fetch an <c>http(s)</c> reference and read a file one; <see cref="JsonSchemas"/> refuses such
/// references before parsing, and this keeps them refused should one get past that check.
/// </summary>
internal sealed class LocalReferenceResolver(JsonSchema root)
    : JsonReferenceResolver(new JsonSchemaAppender(root, new DefaultTypeNameGenerator()))
{
    public override Task<IJsonReference> ResolveFileReferenceAsync(string filePath, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"only local references (\"#/…\") are allowed, got \"{filePath}\"");

    // Called before a file reference is read (and before NJsonSchema probes directories for it).
    public override string ResolveFilePath(string documentPath, string jsonPath) =>
        throw new NotSupportedException($"only local references (\"#/…\") are allowed, got \"{jsonPath}\"");

    public override Task<IJsonReference> ResolveUrlReferenceAsync(string url, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"only local references (\"#/…\") are allowed, got \"{url}\"");
}
