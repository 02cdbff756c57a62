using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Limits;

/// <summary>
/// Refuses a request with a header value outside ASCII with 400 problem+json (<c>invalid_header</c>) before anything
/// else reads it. Kestrel accepts UTF-8 header values, but the outgoing request to a service may carry only ASCII
/// (RFC 9110 treats other octets as opaque): forwarding such a request fails, which would be a 502 for what is the
/// client's mistake. The header's name is in the answer and the log; its value is not (it may be a credential).
/// </summary>
internal sealed partial class HeaderValuesMiddleware(RequestDelegate next, ILogger<HeaderValuesMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        foreach (var (name, values) in context.Request.Headers)
        {
            foreach (var value in values)
            {
                if (value is not null && !System.Text.Ascii.IsValid(value))
                {
                    LogRefused(logger, context.Request.Method, context.Request.Path.Value ?? "", name);
                    return ProblemResponses.WriteAsync(
                        context, StatusCodes.Status400BadRequest, ProblemCodes.InvalidHeader, "Invalid header",
                        $"The value of header '{name}' has characters outside ASCII; encode it (e.g. percent-encoding) before sending.");
                }
            }
        }

        return next(context);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path}: header {Header} has a value outside ASCII")]
    private static partial void LogRefused(ILogger logger, string method, string path, string header);
}
