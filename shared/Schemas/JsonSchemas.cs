using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;

namespace RunMesh.Schemas;

/// <summary>
/// Loads JSON Schemas (draft 7) from untrusted documents — template input schemas and phase artifact schemas — and
/// validates JSON against them. Only local references (<c>#…</c>) are allowed: a remote or file <c>$ref</c> would make
/// the server fetch URLs or read files, so such schemas are refused before NJsonSchema ever sees them.
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
            var loaded = await JsonSchema.FromJsonAsync(schema.ToJsonString(), cancellationToken);
            return new SchemaLoadResult(new CompiledSchema(loaded), []);
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            // NJsonSchema's messages describe the schema, not our process: safe to show to the author.
            return SchemaLoadResult.Invalid($"not a valid JSON Schema: {ex.Message}");
        }
    }

    /// <summary>Keywords whose value maps names (of properties, definitions…) to schemas: a key there is a name, not a keyword.</summary>
    private static readonly HashSet<string> s_namedSchemaMaps = ["properties", "patternProperties", "definitions", "$defs", "dependencies"];

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
                    else if (key == "$ref" && (value is not JsonValue reference || !reference.TryGetValue<string>(out var target) || !target.StartsWith('#')))
                    {
                        problems.Add($"{childPath}: only local references (\"#/…\") are allowed, got {value?.ToJsonString() ?? "null"}");
                    }
                    else if (key is "$id" or "id" && value is JsonValue id && id.TryGetValue<string>(out var idValue) && idValue.Contains(':', StringComparison.Ordinal))
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

/// <summary>A loaded JSON Schema that validates instances.</summary>
public sealed class CompiledSchema
{
    private readonly JsonSchema _schema;

    internal CompiledSchema(JsonSchema schema) => _schema = schema;

    /// <summary>Validates <paramref name="instance"/>; returns every error as <c>path: kind</c> (empty when valid).</summary>
    public IReadOnlyList<string> Validate(JsonNode? instance)
    {
        var errors = _schema.Validate(instance?.ToJsonString() ?? "null");
        var messages = new List<string>();
        Flatten(errors, messages);
        return messages;
    }

    private static void Flatten(IEnumerable<ValidationError> errors, List<string> messages)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child)
            {
                foreach (var nested in child.Errors.Values)
                {
                    Flatten(nested, messages);
                }
            }

            var path = string.IsNullOrEmpty(error.Path) ? "#" : error.Path;
            messages.Add($"{path}: {error.Kind}");
        }
    }
}
