using System.Globalization;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using RunMesh.Hosting.Documents;

namespace RunMesh.Schemas;

/// <summary>
/// NJsonSchema's validation errors as sentences for the person who wrote the instance (<c>required property
/// missing</c>, <c>must be a string, got a number</c>, <c>must be one of: formal, casual (did you mean 'formal'?)</c>)
/// instead of its error kinds (<c>PropertyRequired</c>, <c>StringExpected</c>, <c>NotInEnumeration</c>). The one
/// mapping for everything a schema validates: run inputs, artifacts and their repair feedback, study conditions,
/// template schemas against the meta-schema.
/// </summary>
internal static class SchemaErrorSentences
{
    // Longest lists spelled out in one sentence (enum values, allowed properties, the errors of each alternative).
    private const int MaxListed = 20;
    private const int MaxPerAlternative = 3;

    /// <summary>Adds one <see cref="SchemaError"/> per thing wrong in <paramref name="errors"/>, nested errors included.</summary>
    public static void Collect(IEnumerable<ValidationError> errors, List<SchemaError> found)
    {
        var list = errors.ToList();
        // A value of the wrong type is told so; that it is not one of the enum's values too says nothing more.
        var wrongType = list.Where(e => IsTypeMismatch(e.Kind)).Select(LocationOf).ToHashSet(StringComparer.Ordinal);
        foreach (var error in list)
        {
            if (error.Kind == ValidationErrorKind.NotInEnumeration && wrongType.Contains(LocationOf(error)))
            {
                continue;
            }

            if (error.Kind == ValidationErrorKind.PropertyRequired && error.Token is not null and not JObject)
            {
                // NJsonSchema also asks a value that is not an object for its required properties: that it must be an
                // object is said already.
                continue;
            }

            var location = LocationOf(error);
            switch (error)
            {
                case ChildSchemaValidationError alternatives when error.Kind is ValidationErrorKind.NotAnyOf or ValidationErrorKind.NotOneOf:
                    found.Add(new SchemaError(location, Alternatives(alternatives)));
                    break;
                case ChildSchemaValidationError nested when nested.Errors.Values.Any(e => e.Count > 0):
                    // allOf, array items, additional properties and items: the nested errors say what is wrong.
                    Collect(nested.Errors.Values.SelectMany(e => e), found);
                    break;
                case MultiTypeValidationError types:
                    Collect(Types(types), location, found);
                    break;
                default:
                    found.Add(new SchemaError(location, Sentence(error)));
                    break;
            }
        }
    }

    private static string LocationOf(ValidationError error) => string.IsNullOrEmpty(error.Path) ? "#" : error.Path;

    /// <summary>
    /// A value of a schema with several types (<c>["string", "null"]</c>) that none of them takes: when the value has
    /// one of the types, what is wrong with it as that type (e.g. too long); else that its type is not one of them.
    /// </summary>
    private static IEnumerable<ValidationError> Types(MultiTypeValidationError error)
    {
        var ofItsType = error.Errors.Values.FirstOrDefault(e => e.All(x => !IsTypeMismatch(x.Kind)));
        return ofItsType is { Count: > 0 } ? ofItsType : [error];
    }

    private static void Collect(IEnumerable<ValidationError> errors, string location, List<SchemaError> found)
    {
        foreach (var error in errors)
        {
            if (error is MultiTypeValidationError multi)
            {
                found.Add(new SchemaError(location, $"must be {TypeNames(multi.Schema.Type)}{Got(error.Token)}"));
            }
            else
            {
                Collect([error], found);
            }
        }
    }

    private static bool IsTypeMismatch(ValidationErrorKind kind) => kind is ValidationErrorKind.StringExpected or ValidationErrorKind.NumberExpected
        or ValidationErrorKind.IntegerExpected or ValidationErrorKind.BooleanExpected or ValidationErrorKind.ObjectExpected
        or ValidationErrorKind.ArrayExpected or ValidationErrorKind.NullExpected;

    /// <summary>anyOf / oneOf: which forms were allowed, and what each one found wrong.</summary>
    private static string Alternatives(ChildSchemaValidationError error)
    {
        var matching = error.Errors.Values.Count(e => e.Count == 0);
        var keyword = error.Kind == ValidationErrorKind.NotOneOf ? "oneOf" : "anyOf";
        if (matching > 1)
        {
            return $"matches {matching} of the allowed forms ({keyword}), but must match exactly one";
        }

        var location = LocationOf(error);
        var forms = error.Errors.Values.Take(MaxListed).Select((errors, index) =>
        {
            var nested = new List<SchemaError>();
            Collect(errors, nested);
            var said = nested.Take(MaxPerAlternative).Select(e => e.Location == location ? e.Message : $"{Relative(e.Location, location)}: {e.Message}");
            var more = nested.Count > MaxPerAlternative ? $" (and {nested.Count - MaxPerAlternative} more)" : string.Empty;
            return $"({index + 1}) {string.Join(", ", said)}{more}";
        });
        return $"matches none of the allowed forms ({keyword}): {string.Join("; ", forms)}";
    }

    /// <summary><c>#/a.b.c</c> under <c>#/a</c> is <c>b.c</c>.</summary>
    private static string Relative(string location, string under)
    {
        var path = SchemaError.PathOf(location);
        var parent = SchemaError.PathOf(under);
        return path.StartsWith(parent, StringComparison.Ordinal) && path.Length > parent.Length
            ? path[parent.Length..].TrimStart('.')
            : path;
    }

    private static string Sentence(ValidationError error)
    {
        var schema = error.Schema;
        var token = error.Token;
        return error.Kind switch
        {
            ValidationErrorKind.PropertyRequired => "required property missing",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => UnknownProperty(error),
            ValidationErrorKind.StringExpected => $"must be a string{Got(token)}",
            ValidationErrorKind.NumberExpected => $"must be a number{Got(token)}",
            ValidationErrorKind.IntegerExpected => $"must be an integer{Got(token)}",
            ValidationErrorKind.BooleanExpected => $"must be true or false{Got(token)}",
            ValidationErrorKind.ObjectExpected => $"must be an object{Got(token)}",
            ValidationErrorKind.ArrayExpected => $"must be an array{Got(token)}",
            ValidationErrorKind.NullExpected => $"must be null{Got(token)}",
            ValidationErrorKind.NoTypeValidates => $"must be {TypeNames(schema.Type)}{Got(token)}",
            ValidationErrorKind.NotInEnumeration => NotInEnumeration(schema, token),
            ValidationErrorKind.StringTooShort => $"must be at least {Characters(schema.MinLength)} long",
            ValidationErrorKind.StringTooLong => $"must be at most {Characters(schema.MaxLength)} long{Length(token)}",
            ValidationErrorKind.PatternMismatch => $"must match the pattern {schema.Pattern}",
            ValidationErrorKind.NumberTooSmall => TooSmall(schema, token),
            ValidationErrorKind.NumberTooBig => TooBig(schema, token),
            ValidationErrorKind.IntegerTooBig => "is too large a number",
            ValidationErrorKind.NumberNotMultipleOf or ValidationErrorKind.IntegerNotMultipleOf => $"must be a multiple of {Number(schema.MultipleOf)}",
            ValidationErrorKind.TooFewItems => $"must have at least {Count(schema.MinItems, "item")}{Items(token)}",
            ValidationErrorKind.TooManyItems => $"must have at most {Count(schema.MaxItems, "item")}{Items(token)}",
            ValidationErrorKind.TooManyItemsInTuple => $"is one item more than the {Count(schema.Items.Count, "item")} the schema lists",
            ValidationErrorKind.ItemsNotUnique => "must not hold the same item twice",
            ValidationErrorKind.TooFewProperties => $"must have at least {Count(schema.MinProperties, "property", "properties")}",
            ValidationErrorKind.TooManyProperties => $"must have at most {Count(schema.MaxProperties, "property", "properties")}",
            ValidationErrorKind.DateTimeExpected => "must be a date and time (RFC 3339, e.g. 2026-01-31T09:30:00Z)",
            ValidationErrorKind.DateExpected => "must be a date (e.g. 2026-01-31)",
            ValidationErrorKind.TimeExpected => "must be a time of day (e.g. 09:30:00)",
            ValidationErrorKind.TimeSpanExpected => "must be a duration",
            ValidationErrorKind.UriExpected => "must be a URI",
            ValidationErrorKind.EmailExpected => "must be an email address",
            ValidationErrorKind.HostnameExpected => "must be a host name",
            ValidationErrorKind.IpV4Expected => "must be an IPv4 address",
            ValidationErrorKind.IpV6Expected => "must be an IPv6 address",
            ValidationErrorKind.GuidExpected or ValidationErrorKind.UuidExpected => "must be a UUID",
            ValidationErrorKind.Base64Expected => "must be base64",
            ValidationErrorKind.ExcludedSchemaValidates => "must not match the schema under 'not'",
            ValidationErrorKind.NotAnyOf => "matches none of the allowed forms (anyOf)",
            ValidationErrorKind.NotOneOf => "must match exactly one of the allowed forms (oneOf)",
            ValidationErrorKind.NotAllOf => "must match every schema under 'allOf'",
            _ => "does not match the schema",
        };
    }

    private static string UnknownProperty(ValidationError error)
    {
        var known = error.Schema.Properties.Keys.ToList();
        var name = error.Property ?? string.Empty;
        if (Spelling.Closest(name, known) is { } closest)
        {
            return $"unknown property (did you mean '{closest}'?)";
        }

        return known.Count == 0 ? "unknown property (none are allowed here)" : $"unknown property (allowed: {List(known)})";
    }

    private static string NotInEnumeration(JsonSchema schema, JToken? token)
    {
        var values = schema.Enumeration.Select(Display).ToList();
        var suggestion = token?.Type == JTokenType.String
            ? Spelling.DidYouMean(token.Value<string>()!, schema.Enumeration.OfType<string>())
            : string.Empty;
        return $"must be one of: {List(values)}{suggestion}";
    }

    private static string TooSmall(JsonSchema schema, JToken? token)
    {
        var value = ValueOf(token);
        if (schema.Minimum is { } minimum && (value is null || value < minimum || (schema.IsExclusiveMinimum && value <= minimum)))
        {
            return schema.IsExclusiveMinimum ? $"must be greater than {Number(minimum)}" : $"must be at least {Number(minimum)}";
        }

        return $"must be greater than {Number(schema.ExclusiveMinimum)}";
    }

    private static string TooBig(JsonSchema schema, JToken? token)
    {
        var value = ValueOf(token);
        if (schema.Maximum is { } maximum && (value is null || value > maximum || (schema.IsExclusiveMaximum && value >= maximum)))
        {
            return schema.IsExclusiveMaximum ? $"must be less than {Number(maximum)}" : $"must be at most {Number(maximum)}";
        }

        return $"must be less than {Number(schema.ExclusiveMaximum)}";
    }

    private static decimal? ValueOf(JToken? token)
    {
        try
        {
            return token?.Type is JTokenType.Integer or JTokenType.Float ? token.Value<decimal>() : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary><c>, got a number</c>: what the value is, in words.</summary>
    private static string Got(JToken? token) => token is null ? string.Empty : $", got {KindOf(token)}";

    private static string KindOf(JToken token) => token.Type switch
    {
        JTokenType.String or JTokenType.Date or JTokenType.Guid or JTokenType.Uri or JTokenType.TimeSpan => "a string",
        JTokenType.Integer or JTokenType.Float => "a number",
        JTokenType.Boolean => "a boolean",
        JTokenType.Null => "null",
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        _ => "another kind of value",
    };

    private static string TypeNames(JsonObjectType type)
    {
        var names = new List<string>();
        foreach (var (flag, name) in new[]
        {
            (JsonObjectType.String, "a string"), (JsonObjectType.Integer, "an integer"), (JsonObjectType.Number, "a number"),
            (JsonObjectType.Boolean, "true or false"), (JsonObjectType.Object, "an object"), (JsonObjectType.Array, "an array"),
            (JsonObjectType.Null, "null"),
        })
        {
            if (type.HasFlag(flag))
            {
                names.Add(name);
            }
        }

        return names.Count switch
        {
            0 => "of another type",
            1 => names[0],
            _ => $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}",
        };
    }

    private static string Display(object? value) => value switch
    {
        null => "null",
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    private static string List(List<string> values) =>
        values.Count <= MaxListed ? string.Join(", ", values) : $"{string.Join(", ", values.Take(MaxListed))}, … ({values.Count} in all)";

    private static string Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "the limit";

    private static string Characters(int? count) => Count(count ?? 0, "character");

    private static string Count(int count, string one, string? many = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? one : many ?? one + "s")}");

    private static string Length(JToken? token) =>
        token?.Type == JTokenType.String ? string.Create(CultureInfo.InvariantCulture, $" (it has {token.Value<string>()!.Length})") : string.Empty;

    private static string Items(JToken? token) =>
        token is JArray array ? string.Create(CultureInfo.InvariantCulture, $" (it has {array.Count})") : string.Empty;
}
