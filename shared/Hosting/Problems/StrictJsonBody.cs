using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using RunMesh.Hosting.Documents;

namespace RunMesh.Hosting.Problems;

/// <summary>A request body read by <see cref="StrictJsonBody.ReadAsync{T}"/>: the value, or the problem to answer with.</summary>
/// <typeparam name="T">The body's type.</typeparam>
/// <param name="Value">The body; <see langword="null"/> when there was none (and none was required) or it was refused.</param>
/// <param name="Problem">The 400/415 answer when the body was refused; <see langword="null"/> when it was accepted.</param>
public readonly record struct JsonBody<T>(T? Value, IResult? Problem)
    where T : class;

/// <summary>One thing wrong with a request body: where (<c>$.options.maxDepth</c>) and what (<c>must be an integer</c>).</summary>
/// <param name="Path">The JSON path of the field.</param>
/// <param name="Message">What the field must be.</param>
public sealed record RequestBodyError(string Path, string Message);

/// <summary>
/// How every service API reads a JSON request body: camelCase, no unknown fields, numbers only as numbers, no
/// <c>null</c> for any field (an optional field is left out instead), and every refusal a problem+json whose
/// <c>detail</c> and <c>errors</c> name the field and say what it must be (never the serializer's message, which
/// names .NET types).
/// </summary>
public static class StrictJsonBody
{
    /// <summary>The most problems one refusal lists.</summary>
    private const int MaxErrors = 20;

    /// <summary>The serializer options bodies are read with (also for hashing a body as it was read).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        // With the modifier below, a JSON null for any property is refused with the property's path: null is never a
        // value of a body's field, and a null where the code expects an object or a string would otherwise surface
        // as a 500 far from the API.
        RespectNullableAnnotations = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RefuseNullProperties } },
    };

    /// <summary>Reads the body of <paramref name="request"/> as <typeparamref name="T"/>; an empty body is allowed unless <paramref name="required"/>.</summary>
    public static async Task<JsonBody<T>> ReadAsync<T>(HttpRequest request, bool required, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Body.CanSeek && request.Headers.ContentType.Count == 0))
        {
            return required
                ? new(null, Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Empty body", "The request needs a JSON body."))
                : new(null, null);
        }

        if (!request.HasJsonContentType())
        {
            return new(null, Refuse(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type",
                "Send the body as application/json."));
        }

        // Kept so that a refused body can be read again to say what is wrong with it.
        request.EnableBuffering();
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, cancellationToken);
            return value is null && required
                ? new(null, Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Empty body", "The request needs a JSON object."))
                : new(value, null);
        }
        catch (JsonException ex)
        {
            request.Body.Position = 0;
            var errors = await DiagnoseAsync<T>(request.Body, ex, cancellationToken);
            return new(null, Invalid(errors));
        }
    }

    /// <summary>The 400 <c>invalid_request</c> for <paramref name="error"/>: <c>detail</c> "<c>$.x: must be …</c>", <c>errors</c> [it].</summary>
    public static IResult Invalid(RequestBodyError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Invalid([error]);
    }

    /// <summary>
    /// The 400 <c>invalid_request</c> for <paramref name="errors"/>: <c>errors</c> lists each as <c>{path, message}</c>, and
    /// <c>detail</c> says them in one sentence (<c>$.x: must be …</c> for one, <c>2 problems: $.x: …; $.y: …</c> for more).
    /// </summary>
    public static IResult Invalid(IReadOnlyList<RequestBodyError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var detail = errors.Count == 1
            ? $"{errors[0].Path}: {errors[0].Message}."
            : $"{errors.Count} problems: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}"))}.";
        return Results.Problem(ProblemResponses.Create(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request body",
            detail, errors.Select(e => new { path = e.Path, message = e.Message }).ToList()));
    }

    /// <summary>
    /// Everything that is wrong with a refused body, in the order it appears: not valid JSON (with the line and column),
    /// or each field that is not known, is missing, is null or is not what it must be. When the walk finds nothing
    /// (the serializer refused something it does not look at), the field at the path the serializer stopped at.
    /// </summary>
    private static async Task<IReadOnlyList<RequestBodyError>> DiagnoseAsync<T>(Stream body, JsonException ex, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(bytes);
        }
        catch (JsonException syntax)
        {
            return [new RequestBodyError("$", $"is not valid JSON: {SyntaxErrors.OfJson(syntax, Encoding.UTF8.GetString(bytes))}")];
        }

        if (ex.InnerException is JsonException reader)
        {
            // The serializer's reader refused it (e.g. nesting deeper than it reads): not a question of the field's type.
            return [new RequestBodyError("$", $"is not valid JSON: {SyntaxErrors.OfJson(reader, Encoding.UTF8.GetString(bytes))}")];
        }

        var errors = new List<RequestBodyError>();
        if (document is null)
        {
            errors.Add(new RequestBodyError("$", $"must be {Describe(Options.GetTypeInfo(typeof(T)))}, not null"));
        }
        else
        {
            Check(Options.GetTypeInfo(typeof(T)), document, "$", errors);
        }

        return errors.Count > 0 ? errors : [AtPath<T>(document, ex)];
    }

    /// <summary>Adds what is wrong with <paramref name="node"/> as a value of <paramref name="type"/> (and with every value in it).</summary>
    private static void Check(JsonTypeInfo type, JsonNode node, string at, List<RequestBodyError> errors)
    {
        if (errors.Count >= MaxErrors)
        {
            return;
        }

        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (node is not JsonObject obj)
                {
                    errors.Add(WrongType(type, node, at));
                    return;
                }

                foreach (var (name, value) in obj)
                {
                    var path = Append(at, name);
                    var property = type.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                    if (property is null)
                    {
                        errors.Add(new RequestBodyError(path, "is not a known field" + Spelling.DidYouMean(name, type.Properties.Select(p => p.Name))));
                        continue;
                    }

                    var propertyType = Options.GetTypeInfo(property.PropertyType);
                    if (value is null)
                    {
                        errors.Add(new RequestBodyError(path, property.IsRequired
                            ? $"must be {Describe(propertyType)}, not null"
                            : $"must be {Describe(propertyType)}, not null (leave the field out for its default)"));
                        continue;
                    }

                    Check(propertyType, value, path, errors);
                }

                foreach (var missing in type.Properties.Where(p => p.IsRequired && !obj.Any(f => string.Equals(f.Key, p.Name, StringComparison.OrdinalIgnoreCase))))
                {
                    errors.Add(new RequestBodyError(Append(at, missing.Name), "is required"));
                }

                return;
            case JsonTypeInfoKind.Dictionary when type.ElementType is { } valueType:
                if (node is not JsonObject map)
                {
                    errors.Add(WrongType(type, node, at));
                    return;
                }

                var values = Options.GetTypeInfo(valueType);
                foreach (var (key, value) in map)
                {
                    if (value is null)
                    {
                        // The serializer takes it, but no dictionary of a body has a use for it (a label is a string).
                        errors.Add(new RequestBodyError(Append(at, key), $"must be {Describe(values)}, not null"));
                    }
                    else
                    {
                        Check(values, value, Append(at, key), errors);
                    }
                }

                return;
            case JsonTypeInfoKind.Enumerable when type.ElementType is { } itemType:
                if (node is not JsonArray array)
                {
                    errors.Add(WrongType(type, node, at));
                    return;
                }

                var items = Options.GetTypeInfo(itemType);
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        Check(items, item, $"{at}[{i}]", errors);
                    }
                }

                return;
            default:
                // A value the serializer reads whole (a string, a number, a UUID, a JSON object): it decides.
                try
                {
                    JsonSerializer.Deserialize(node, type.Type, Options);
                }
                catch (JsonException)
                {
                    errors.Add(WrongType(type, node, at));
                }

                return;
        }
    }

    private static RequestBodyError WrongType(JsonTypeInfo type, JsonNode node, string at)
    {
        var expected = Describe(type);
        var got = FieldReader.Describe(node);
        // "must be a UUID string" of a string, "must be an integer from …" of a number: saying what it got adds nothing.
        return expected.EndsWith(got[(got.IndexOf(' ', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal)
            || (got == "a number" && expected.StartsWith("an integer", StringComparison.Ordinal))
            ? new RequestBodyError(at, $"must be {expected}")
            : new RequestBodyError(at, $"must be {expected}, got {got}");
    }

    /// <summary>What is wrong at the path the serializer stopped at: a field that is not known, a missing required field, or a value (null included) that is not what the field must be.</summary>
    private static RequestBodyError AtPath<T>(JsonNode? document, JsonException ex)
    {
        var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        var type = Options.GetTypeInfo(typeof(T));
        var node = document;
        var at = "$";
        JsonPropertyInfo? field = null;
        foreach (var segment in JsonPathSegments(path))
        {
            JsonTypeInfo next;
            if (type.Kind == JsonTypeInfoKind.Object && segment is string name)
            {
                if (type.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is not { } property)
                {
                    return new RequestBodyError(Append(at, name), "is not a known field");
                }

                next = Options.GetTypeInfo(property.PropertyType);
                field = property;
                node = (node as JsonObject)?[name];
                at = Append(at, name);
            }
            else if (type.Kind == JsonTypeInfoKind.Dictionary && segment is string key && type.ElementType is { } valueType)
            {
                next = Options.GetTypeInfo(valueType);
                field = null;
                node = (node as JsonObject)?[key];
                at = Append(at, key);
            }
            else if (type.Kind == JsonTypeInfoKind.Enumerable && segment is int index && type.ElementType is { } itemType)
            {
                next = Options.GetTypeInfo(itemType);
                field = null;
                node = node is JsonArray array && index < array.Count ? array[index] : null;
                at = $"{at}[{index}]";
            }
            else
            {
                break;
            }

            type = next;
        }

        if (type.Kind == JsonTypeInfoKind.Object && node is JsonObject given
            && type.Properties.FirstOrDefault(p => p.IsRequired && !given.Any(f => string.Equals(f.Key, p.Name, StringComparison.OrdinalIgnoreCase))) is { } missing)
        {
            return new RequestBodyError(Append(at, missing.Name), "is required");
        }

        var expected = $"must be {Describe(type)}";
        return node is not null || at == "$" ? new RequestBodyError(at, expected)
            : field is { IsRequired: false } ? new RequestBodyError(at, $"{expected}, not null (leave the field out for its default)")
            : new RequestBodyError(at, $"{expected}, not null");
    }

    private static string Describe(JsonTypeInfo type)
    {
        var clr = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        return clr switch
        {
            _ when clr == typeof(string) || clr.IsEnum => "a string",
            _ when clr == typeof(bool) => "true or false",
            _ when clr == typeof(int) => "an integer from -2147483648 to 2147483647",
            _ when clr == typeof(long) => "an integer from -9223372036854775808 to 9223372036854775807",
            _ when clr == typeof(decimal) || clr == typeof(double) || clr == typeof(float) => "a number",
            _ when clr == typeof(Guid) => "a UUID string",
            _ when clr == typeof(DateTimeOffset) || clr == typeof(DateTime) => "an ISO 8601 date-time string",
            _ when clr == typeof(JsonObject) => "an object",
            _ when clr == typeof(JsonArray) => "an array",
            _ when clr == typeof(JsonNode) || clr == typeof(JsonElement) => "a JSON value",
            _ => type.Kind switch
            {
                JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
                JsonTypeInfoKind.Enumerable => "an array",
                _ => "a JSON value of another type",
            },
        };
    }

    /// <summary>The segments of a path as System.Text.Json writes it: <c>$.a.b</c>, <c>$['a.b']</c>, <c>$.a[0]</c>.</summary>
    private static IEnumerable<object> JsonPathSegments(string path)
    {
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return path[(i + 1)..end];
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['", StringComparison.Ordinal))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                yield return path[(i + 2)..end];
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i + 1);
                end = end < 0 ? path.Length : end;
                if (!int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index))
                {
                    yield break;
                }

                yield return index;
                i = end + 1;
            }
            else
            {
                yield break;
            }
        }
    }

    /// <summary>The JSON path of field <paramref name="name"/> of the object at <paramref name="path"/> (<c>$.a.b</c>, <c>$.a['b c']</c>), shortened.</summary>
    public static string Append(string path, string name)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(name);
        // The name is the client's: keep what is echoed back short.
        name = name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 61), "...");
        return name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? $"{path}.{name}" : $"{path}['{name}']";
    }

    private static void RefuseNullProperties(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            if (!property.PropertyType.IsValueType || Nullable.GetUnderlyingType(property.PropertyType) is not null)
            {
                property.IsSetNullable = false;
            }
        }
    }

    private static IResult Refuse(int status, string code, string title, string detail) =>
        Results.Problem(ProblemResponses.Create(status, code, title, detail));
}
