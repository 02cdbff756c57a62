using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace RunMesh.Hosting.Problems;

/// <summary>
/// The one problem+json shape (RFC 9457) every RunMesh error has: <c>type</c>, <c>title</c>, <c>status</c>,
/// <c>detail</c> and a stable <c>code</c> extension that clients switch on.
/// </summary>
public static class ProblemResponses
{
    /// <summary>The <c>type</c> URI of a problem with <paramref name="code"/> (a URN: stable, not meant to be fetched).</summary>
    public static string TypeOf(string code) => $"urn:runmesh:problem:{code}";

    /// <summary>A problem with the RunMesh shape.</summary>
    public static ProblemDetails Create(int status, string code, string title, string detail) => new()
    {
        Type = TypeOf(code),
        Title = title,
        Status = status,
        Detail = detail,
        Extensions = { ["code"] = code },
    };

    /// <summary>
    /// A problem with the RunMesh shape and an <c>errors</c> extension listing every thing that was wrong (for
    /// validation; each item is serialized as JSON, e.g. <c>{path, message}</c>).
    /// </summary>
    public static ProblemDetails Create<TError>(int status, string code, string title, string detail, IReadOnlyList<TError> errors)
    {
        var problem = Create(status, code, title, detail);
        problem.Extensions["errors"] = errors;
        return problem;
    }

    /// <summary>
    /// Gives a problem the framework writes itself — the 404 of a path no endpoint answers, the 405 of a method the
    /// path does not take, an error answered without a body — the RunMesh shape: a <c>code</c> (from the status), its
    /// <c>type</c>, and a <c>detail</c> that names the method and path. Problems that have a code keep it.
    /// </summary>
    public static void AddMissingCode(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        var code = status switch
        {
            StatusCodes.Status400BadRequest => ProblemCodes.BadRequest,
            StatusCodes.Status401Unauthorized => ProblemCodes.Unauthenticated,
            StatusCodes.Status403Forbidden => ProblemCodes.Forbidden,
            StatusCodes.Status404NotFound => ProblemCodes.NotFound,
            StatusCodes.Status405MethodNotAllowed => ProblemCodes.MethodNotAllowed,
            StatusCodes.Status406NotAcceptable => ProblemCodes.NotAcceptable,
            StatusCodes.Status413PayloadTooLarge => ProblemCodes.PayloadTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ProblemCodes.UnsupportedMediaType,
            StatusCodes.Status429TooManyRequests => ProblemCodes.RateLimited,
            StatusCodes.Status503ServiceUnavailable => ProblemCodes.ServiceUnavailable,
            >= 500 => ProblemCodes.InternalError,
            _ => ProblemCodes.BadRequest,
        };
        problem.Extensions["code"] = code;
        problem.Type = TypeOf(code);
        if (problem.Detail is null)
        {
            var request = context.HttpContext.Request;
            var path = $"{request.PathBase}{request.Path}";
            // The path is the client's: keep what is echoed back short.
            var where = $"{request.Method} {(path.Length <= 200 ? path : string.Concat(path.AsSpan(0, 197), "..."))}";
            problem.Detail = status switch
            {
                StatusCodes.Status404NotFound => $"There is no endpoint at {where}.",
                StatusCodes.Status405MethodNotAllowed => $"{where}: the path exists, but not for {request.Method}.",
                _ => $"{where} could not be answered ({status}).",
            };
        }
    }

    /// <summary>Writes the problem as the response (status, <c>application/problem+json</c>). Never put a secret in <paramref name="detail"/>.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string code, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problem = Create(status, code, title, detail);
        var service = context.RequestServices.GetService<IProblemDetailsService>();
        if (service is null || !await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            await context.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json");
        }
    }
}

/// <summary>Problem codes shared by the gateway and the services' identity checks.</summary>
public static class ProblemCodes
{
    /// <summary>No credential, or one that is not valid (401).</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>A valid credential whose role is too low (403).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The request body is over the limit (413).</summary>
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>Too many requests for this API key (429).</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>No destination of the service is available (503).</summary>
    public const string ServiceUnavailable = "service_unavailable";

    /// <summary>The service could not be reached or answered badly (502).</summary>
    public const string BadGateway = "bad_gateway";

    /// <summary>The service did not answer within the request timeout (504).</summary>
    public const string GatewayTimeout = "gateway_timeout";

    /// <summary>The request could not be read (400).</summary>
    public const string BadRequest = "bad_request";

    /// <summary>
    /// A service's API could not accept the request as sent (400): malformed JSON, a wrong type, an unknown field, an
    /// empty body, a bad query parameter.
    /// </summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>The request body's content type is not one the endpoint reads (415).</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>No route for this path and method (404).</summary>
    public const string NotFound = "not_found";

    /// <summary>The path exists, but not for this method (405).</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>The service failed to answer (500); the details are in its log, under the response's trace id.</summary>
    public const string InternalError = "internal_error";

    /// <summary>406: none of the media types the request accepts can be served.</summary>
    public const string NotAcceptable = "not_acceptable";

    /// <summary>A request header the gateway cannot forward: a value with a character outside ASCII (400).</summary>
    public const string InvalidHeader = "invalid_header";

    /// <summary>
    /// A state-changing request authenticated by a console session cookie without the session's <c>X-CSRF-Token</c>, or
    /// with another one (403).
    /// </summary>
    public const string CsrfTokenInvalid = "csrf_token_invalid";
}
