using System.Security.Cryptography;
using System.Text;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Sessions;

/// <summary>
/// A state-changing request (POST, PUT, PATCH, DELETE, …) authenticated by the session cookie must carry the session's
/// token as <c>X-CSRF-Token</c>; without it, or with another, 403 problem+json <c>csrf_token_invalid</c>. SameSite=Strict
/// already keeps the cookie off cross-site requests; the token also refuses a same-site page that is not the console
/// (another app on a sibling subdomain). A request with an API key needs none: a browser never adds a key header by
/// itself. Sign-in is not checked: it authenticates by its body, and it takes only <c>application/json</c>, which no
/// cross-site form can send.
/// </summary>
internal sealed partial class CsrfTokenMiddleware(RequestDelegate next, ILogger<CsrfTokenMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method)
            || request.Path.Equals("/auth/login", StringComparison.OrdinalIgnoreCase)
            || !ConsoleSession.IsSession(context.User))
        {
            return next(context);
        }

        var expected = context.User.FindFirst(ConsoleSession.CsrfTokenClaim)?.Value ?? "";
        var sent = request.Headers[ConsoleSession.CsrfHeader].ToString();
        if (sent.Length > 0 && expected.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(expected)))
        {
            return next(context);
        }

        LogRefused(logger, request.Method, request.Path.Value ?? "", sent.Length > 0);
        return ProblemResponses.WriteAsync(
            context, StatusCodes.Status403Forbidden, ProblemCodes.CsrfTokenInvalid, "Forbidden",
            sent.Length == 0
                ? $"A {request.Method} made with the console session cookie must carry the header {ConsoleSession.CsrfHeader} (its value is csrfToken from GET /auth/session)."
                : $"The {ConsoleSession.CsrfHeader} header does not match this session's token; read it again from GET /auth/session.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path} with a session cookie: anti-forgery token sent {Sent} but not the session's")]
    private static partial void LogRefused(ILogger logger, string method, string path, bool sent);
}
