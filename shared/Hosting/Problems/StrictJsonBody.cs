using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace RunMesh.Hosting.Problems;

/// <summary>A request body read by <see cref="StrictJsonBody.ReadAsync{T}"/>: the value, or the problem to answer with.</summary>
/// <typeparam name="T">The body's type.</typeparam>
/// <param name="Value">The body; <see langword="null"/> when there was none (and none was required) or it was refused.</param>
/// <param name="Problem">The 400/415 answer when the body was refused; <see langword="null"/> when it was accepted.</param>
public readonly record struct JsonBody<T>(T? Value, IResult? Problem)
    where T : class;

/// <summary>
/// How every service API reads a JSON request body: camelCase, no unknown fields, numbers only as numbers, and every
/// refusal a problem+json that says where the body is wrong (never the serializer's message, which names .NET types).
/// </summary>
public static class StrictJsonBody
{
    /// <summary>The serializer options bodies are read with (also for hashing a body as it was read).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
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

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, cancellationToken);
            return value is null && required
                ? new(null, Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Empty body", "The request needs a JSON object."))
                : new(value, null);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) ? "the body" : ex.Path;
            return new(null, Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request body",
                $"The JSON at {where} is malformed, has the wrong type, is missing a required field or is not a known field."));
        }
    }

    private static IResult Refuse(int status, string code, string title, string detail) =>
        Results.Problem(ProblemResponses.Create(status, code, title, detail));
}
