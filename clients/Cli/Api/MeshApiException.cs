using System.Net;
using System.Text.Json.Nodes;

namespace RunMesh.Cli.Api;

/// <summary>The API answered a problem (RFC 9457): its status, the problem document and the raw body.</summary>
internal sealed class MeshApiException(HttpStatusCode status, JsonObject? problem, string body)
    : Exception(problem?["title"]?.ToString() ?? $"HTTP {(int)status}")
{
    /// <summary>The response status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem document, when the body was one.</summary>
    public JsonObject? Problem { get; } = problem;

    /// <summary>The response body as sent.</summary>
    public string Body { get; } = body;

    /// <summary>The exit code for this answer (docs/cli.md, "Exit codes").</summary>
    public int ExitCode => (int)Status switch
    {
        404 => ExitCodes.NotFound,
        401 or 403 or 409 or 422 => ExitCodes.Refused,
        400 or 406 or 413 or 415 => ExitCodes.Usage,
        502 or 503 or 504 => ExitCodes.Unreachable,
        _ => ExitCodes.NotCompleted,
    };
}

/// <summary>The mesh did not answer at <see cref="Url"/> (connection refused, name unknown, timed out).</summary>
internal sealed class MeshUnreachableException(Uri url, string reason) : Exception($"The mesh at {url} is unreachable: {reason}")
{
    /// <summary>The URL that did not answer.</summary>
    public Uri Url { get; } = url;

    /// <summary>What went wrong, in the words of the network stack.</summary>
    public string Reason { get; } = reason;
}
