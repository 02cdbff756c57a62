using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using RunMesh.Hosting.Problems;

namespace RunMesh.Hosting.Documents;

/// <summary>
/// Reads the body of a request that carries a document a person wrote (a template, a study definition) as JSON or
/// YAML: the media type must name one of them (UTF-8), the body is read up to the document's size limit and must be
/// valid UTF-8 and not blank. Every refusal is a problem+json a person can act on (415, 413, 400).
/// </summary>
public static class DocumentBody
{
    /// <summary>The media types a document may be sent as: JSON first, then YAML.</summary>
    public static IReadOnlyList<string> MediaTypes { get; } =
        ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The body's text and media type, or the problem to answer with.</summary>
    public static async Task<(string? Text, string? MediaType, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request, DocumentLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !MediaTypes.Contains(contentType.MediaType.Value, StringComparer.OrdinalIgnoreCase)
            || (contentType.Charset.HasValue && !contentType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, null, Problem(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type",
                $"A {limits.Noun} is sent as {string.Join(", ", MediaTypes)} (UTF-8); got '{request.ContentType ?? "no content type"}'."));
        }

        var tooLarge = Problem(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large",
            $"A {limits.Noun} is at most {limits.MaxBytes / 1024} KiB.");
        if (request.ContentLength > limits.MaxBytes)
        {
            return (null, null, tooLarge);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limits.MaxBytes)
            {
                return (null, null, tooLarge);
            }
        }

        string text;
        try
        {
            text = s_strictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return (null, null, Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", "The body is not valid UTF-8."));
        }

        return string.IsNullOrWhiteSpace(text)
            ? (null, null, Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                $"The body is empty: send the {limits.Noun} as JSON or YAML."))
            : (text, contentType.MediaType.Value, null);
    }

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));
}
