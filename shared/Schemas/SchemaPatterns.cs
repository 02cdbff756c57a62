using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace RunMesh.Schemas;

/// <summary>
/// The regular expressions of one schema (<c>pattern</c>, <c>patternProperties</c> names), each evaluated with a time
/// bound. NJsonSchema evaluates them with <c>Regex.IsMatch(value, pattern)</c>, which has none: a pattern such as
/// <c>^(a+)+$</c> backtracks exponentially, and forty characters of input would hold a core for hours.
/// </summary>
internal sealed class SchemaPatterns
{
    /// <summary>Longest one match of one pattern against one string may take.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Longest all matches while validating one document may take together (NJsonSchema repeats each match that
    /// finished in time, so validating spends at most about twice this on patterns).
    /// </summary>
    public static readonly TimeSpan DocumentBudget = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<string, Regex?> _compiled = new(StringComparer.Ordinal);

    /// <summary>The pattern with <see cref="MatchTimeout"/>; <see langword="null"/> when it is not a valid regular expression.</summary>
    public Regex? Get(string pattern) => _compiled.GetOrAdd(pattern, static pattern =>
    {
        try
        {
            // The options NJsonSchema's Regex.IsMatch(value, pattern) uses, so both do the same work.
            return new Regex(pattern, RegexOptions.None, MatchTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    });
}

/// <summary>
/// NJsonSchema's validator, evaluating every pattern it is about to evaluate first with a time bound
/// (<see cref="SchemaPatterns"/>); one that does not finish in time, or is not a regular expression, stops the
/// validation with <see cref="PatternNotEvaluatedException"/>, so NJsonSchema never runs it unbounded. One instance per
/// validation (it counts the document's budget).
/// </summary>
internal sealed class PatternBoundedValidator(SchemaPatterns patterns) : JsonSchemaValidator(new JsonSchemaValidatorSettings())
{
    private TimeSpan _spent;

    // NJsonSchema calls this for every (value, schema) pair, and evaluates schema.Pattern on string values and
    // schema.PatternProperties' names on object members in it (JSON is read without date parsing, so every JSON
    // string is a JTokenType.String).
    protected override ICollection<ValidationError> Validate(JToken token, JsonSchema schema, SchemaType schemaType, string? propertyName, string propertyPath)
    {
        if (token.Type == JTokenType.String && !string.IsNullOrEmpty(schema.Pattern))
        {
            Match(schema.Pattern, token.Value<string>()!, propertyPath);
        }

        if (token is JObject members && schema.PatternProperties.Count > 0)
        {
            foreach (var member in members.Properties())
            {
                foreach (var pattern in schema.PatternProperties.Keys)
                {
                    Match(pattern, member.Name, string.IsNullOrEmpty(propertyPath) ? member.Name : $"{propertyPath}.{member.Name}");
                }
            }
        }

        return base.Validate(token, schema, schemaType, propertyName, propertyPath);
    }

    private void Match(string pattern, string input, string propertyPath)
    {
        var location = string.IsNullOrEmpty(propertyPath) ? "#" : "#/" + propertyPath;
        var regex = patterns.Get(pattern)
            ?? throw new PatternNotEvaluatedException(new SchemaError(location, $"pattern \"{pattern}\" is not a valid regular expression"));

        var started = Stopwatch.GetTimestamp();
        try
        {
            regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new PatternNotEvaluatedException(new SchemaError(location, $"pattern \"{pattern}\" took too long to evaluate"));
        }

        _spent += Stopwatch.GetElapsedTime(started);
        if (_spent > SchemaPatterns.DocumentBudget)
        {
            var budget = SchemaPatterns.DocumentBudget.TotalMilliseconds.ToString(CultureInfo.InvariantCulture);
            throw new PatternNotEvaluatedException(new SchemaError(location,
                $"pattern \"{pattern}\" took too long to evaluate (the document's patterns took over {budget} ms together)"));
        }
    }
}

/// <summary>A pattern could not be evaluated in time (or at all): the instance is invalid with <see cref="Error"/>.</summary>
internal sealed class PatternNotEvaluatedException(SchemaError error) : Exception(error.ToString())
{
    public SchemaError Error { get; } = error;
}
