using System.Text.Json.Nodes;
using NJsonSchema;

namespace RunMesh.Schemas;

/// <summary>
/// Loads JSON Schemas (draft 7) from untrusted documents — template input schemas and phase artifact schemas — and
/// validates JSON against them. Only local references (<c>#…</c>) are allowed: a remote or file <c>$ref</c> would make
/// the server fetch URLs or read files, so such schemas are refused before NJsonSchema ever sees them. NJsonSchema reads
/// keywords case-insensitively (<c>$REF</c> is a reference to it), so the check does too; and NJsonSchema is given a
/// reference resolver that refuses anything but <c>#…</c>, should a reference ever get past the check.
/// </summary>
public static class JsonSchemas
{
    /// <summary>Deepest nesting accepted in a schema document.</summary>
    public const int MaxDepth = 64;

    /// <summary>Loads <paramref name="schema"/>; on failure the result lists every problem found.</summary>
    public static async Task<SchemaLoadResult> LoadAsync(JsonNode? schema, CancellationToken cancellationToken = default)
    {
        if (schema is not JsonObject and not JsonValue)
        {
            return SchemaLoadResult.Invalid("a JSON Schema must be an object (or a boolean)");
        }

        var problems = new List<string>();
        FindForbiddenReferences(schema, "#", 0, keysAreNames: false, problems);
        if (problems.Count > 0)
        {
            return new SchemaLoadResult(null, problems);
        }

        try
        {
            var loaded = await ParseAsync(schema.ToJsonString(), cancellationToken);
            return new SchemaLoadResult(new CompiledSchema(loaded), []);
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            // NJsonSchema's messages describe the schema, not our process: safe to show to the author.
            return SchemaLoadResult.Invalid($"not a valid JSON Schema: {ex.Message}");
        }
    }

    /// <summary>
    /// Parses a schema with NJsonSchema, resolving only local references (<see cref="LocalReferenceResolver"/>). The one
    /// place schemas are parsed; callers go through <see cref="LoadAsync"/>, which checks references first.
    /// </summary>
    internal static Task<JsonSchema> ParseAsync(string json, CancellationToken cancellationToken) =>
        JsonSchema.FromJsonAsync(json, documentPath: null, root => new LocalReferenceResolver(root), cancellationToken);

    /// <summary>Keywords whose value maps names (of properties, definitions…) to schemas: a key there is a name, not a keyword.</summary>
    private static readonly HashSet<string> s_namedSchemaMaps = new(["properties", "patternProperties", "definitions", "$defs", "dependencies"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <paramref name="key"/> is <paramref name="keyword"/> as NJsonSchema reads it: its JSON reader (Newtonsoft)
    /// matches a member exactly or else ignoring case, so <c>$REF</c>, <c>$Ref</c> and <c>$ID</c> are keywords too.
    /// </summary>
    private static bool IsKeyword(string key, string keyword) => string.Equals(key, keyword, StringComparison.OrdinalIgnoreCase);

    private static void FindForbiddenReferences(JsonNode? node, string path, int depth, bool keysAreNames, List<string> problems)
    {
        if (depth > MaxDepth)
        {
            problems.Add($"{path}: nested deeper than {MaxDepth} levels");
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var childPath = $"{path}/{key}";
                    if (keysAreNames)
                    {
                        // e.g. a property called "$ref": its value is a schema; the name itself references nothing.
                        FindForbiddenReferences(value, childPath, depth + 1, keysAreNames: false, problems);
                    }
                    else if (IsKeyword(key, "$ref") && (value is not JsonValue reference || !reference.TryGetValue<string>(out var target) || !target.StartsWith('#')))
                    {
                        problems.Add($"{childPath}: only local references (\"#/…\") are allowed, got {value?.ToJsonString() ?? "null"}");
                    }
                    else if ((IsKeyword(key, "$id") || IsKeyword(key, "id")) && value is JsonValue id && id.TryGetValue<string>(out var idValue) && idValue.Contains(':', StringComparison.Ordinal))
                    {
                        // An absolute $id changes how references resolve (and can point them at remote documents).
                        problems.Add($"{childPath}: absolute identifiers are not allowed, got \"{idValue}\"");
                    }
                    else
                    {
                        FindForbiddenReferences(value, childPath, depth + 1, keysAreNames: s_namedSchemaMaps.Contains(key), problems);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    FindForbiddenReferences(array[i], $"{path}/{i}", depth + 1, keysAreNames: false, problems);
                }

                break;
        }
    }
}

/// <summary>The outcome of <see cref="JsonSchemas.LoadAsync"/>: a schema, or the problems that prevented it.</summary>
public sealed record SchemaLoadResult(CompiledSchema? Schema, IReadOnlyList<string> Problems)
{
    /// <summary>Whether the schema loaded.</summary>
    public bool IsValid => Schema is not null;

    internal static SchemaLoadResult Invalid(string problem) => new(null, [problem]);
}
