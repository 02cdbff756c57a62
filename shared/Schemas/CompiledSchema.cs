using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;

namespace RunMesh.Schemas;

/// <summary>A loaded JSON Schema that validates instances.</summary>
public sealed class CompiledSchema
{
    private readonly JsonSchema _schema;
    private readonly SchemaPatterns _patterns = new();

    internal CompiledSchema(JsonSchema schema) => _schema = schema;

    /// <summary>
    /// Validates <paramref name="instance"/>; returns every error as <c>path: sentence</c> (<c>$.title: required
    /// property missing</c>), empty when valid.
    /// </summary>
    public IReadOnlyList<string> Validate(JsonNode? instance) => FindErrors(instance).Select(error => $"{error.Path}: {error.Message}").ToList();

    /// <summary>
    /// Validates <paramref name="instance"/>; returns every error with its location (empty when valid). A
    /// <c>pattern</c> (or <c>patternProperties</c> name) that takes too long to evaluate
    /// (<see cref="SchemaPatterns.MatchTimeout"/>, <see cref="SchemaPatterns.DocumentBudget"/>) makes the instance
    /// invalid with that one error, naming the pattern.
    /// </summary>
    public IReadOnlyList<SchemaError> FindErrors(JsonNode? instance)
    {
        ICollection<ValidationError> errors;
        try
        {
            errors = new PatternBoundedValidator(_patterns).Validate(instance?.ToJsonString() ?? "null", _schema);
        }
        catch (PatternNotEvaluatedException ex)
        {
            return [ex.Error];
        }

        var found = new List<SchemaError>();
        SchemaErrorSentences.Collect(errors, found);
        return found;
    }
}

/// <summary>One way an instance breaks a schema.</summary>
/// <param name="Location">Where, as NJsonSchema writes it (<c>#/steps[0]</c>, <c>#/style.tone</c>; <c>#</c> or <c>#/</c> for the root).</param>
/// <param name="Message">What, as a sentence for the instance's author: <c>required property missing</c>, <c>must be a string, got a number</c>.</param>
public sealed record SchemaError(string Location, string Message)
{
    /// <summary>Where, as a JSON path into the instance: <c>$.steps[0]</c>, <c>$.style.tone</c>, <c>$</c> for the root.</summary>
    public string Path => PathOf(Location);

    /// <summary><c>location: message</c>.</summary>
    public override string ToString() => $"{Location}: {Message}";

    /// <summary>The JSON path of a location (<c>#/a.b[0]</c> → <c>$.a.b[0]</c>, <c>#/[1]</c> → <c>$[1]</c>, <c>#</c> → <c>$</c>).</summary>
    internal static string PathOf(string location)
    {
        var relative = location.StartsWith("#/", StringComparison.Ordinal) ? location[2..] : location.TrimStart('#');
        return relative.Length == 0 ? "$" : relative[0] == '[' ? "$" + relative : "$." + relative;
    }
}
