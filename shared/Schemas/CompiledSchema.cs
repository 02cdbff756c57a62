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

    /// <summary>Validates <paramref name="instance"/>; returns every error as <c>path: kind</c> (empty when valid).</summary>
    public IReadOnlyList<string> Validate(JsonNode? instance) => FindErrors(instance).Select(error => error.ToString()).ToList();

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
        Flatten(errors, found);
        return found;
    }

    private static void Flatten(IEnumerable<ValidationError> errors, List<SchemaError> found)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child)
            {
                foreach (var nested in child.Errors.Values)
                {
                    Flatten(nested, found);
                }
            }

            var path = string.IsNullOrEmpty(error.Path) ? "#" : error.Path;
            found.Add(new SchemaError(path, error.Kind.ToString()));
        }
    }
}

/// <summary>One way an instance breaks a schema.</summary>
/// <param name="Location">Where, as a JSON pointer-like path into the instance (<c>#/steps[0]</c>; <c>#</c> or <c>#/</c> for the root).</param>
/// <param name="Message">What: NJsonSchema's error kind (<c>PropertyRequired</c>), or a sentence (a pattern that took too long).</param>
public sealed record SchemaError(string Location, string Message)
{
    /// <summary><c>location: message</c>.</summary>
    public override string ToString() => $"{Location}: {Message}";
}
