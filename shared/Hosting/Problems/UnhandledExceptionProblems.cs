using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RunMesh.Hosting.Problems;

/// <summary>
/// What a request that threw is answered with, instead of an empty 500: a database or a socket that failed or timed
/// out under it (the server restarting, the connection pool exhausted under load) is <c>503 service_unavailable</c>
/// with <c>Retry-After</c> — nothing was applied, so the same request may be sent again; anything else is
/// <c>500 internal_error</c>. Both are problem+json with the trace id, and never carry the exception's text (it may
/// name internals); the exception goes to the log.
/// </summary>
public sealed partial class UnhandledExceptionProblems(ILogger<UnhandledExceptionProblems> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        if (IsUnavailable(exception))
        {
            LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
            httpContext.Response.Headers.RetryAfter = "1";
            await ProblemResponses.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable,
                "Service unavailable", "A database or broker the service depends on did not answer in time. Nothing was applied; send the request again.");
            return true;
        }

        LogFailed(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
        await ProblemResponses.WriteAsync(httpContext, StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
            "Internal error", "The service failed to answer this request. Quote the traceId when reporting it.");
        return true;
    }

    /// <summary>A dependency that failed or timed out, anywhere in the chain of inner exceptions.</summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException or TimeoutException or SocketException or IOException)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: a dependency failed")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} answered 500")]
    private static partial void LogFailed(ILogger logger, string method, string path, Exception exception);
}
