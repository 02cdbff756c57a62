using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using RunMesh.Gateway.Authentication;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Sessions;

/// <summary>
/// The console's sign-in: <c>POST /auth/login</c> with <c>{"apiKey"}</c> sets the session cookie (204),
/// <c>GET /auth/session</c> tells who is signed in and the session's anti-forgery token, <c>POST /auth/logout</c>
/// ends the session at once. The key itself is never echoed, logged or kept: the cookie names it by its SHA-256.
/// </summary>
internal static partial class SessionApi
{
    /// <summary>A login body is one short JSON object; anything larger is not one.</summary>
    private const int MaxLoginBodyBytes = 4096;

    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder endpoints)
    {
        var auth = endpoints.MapGroup("/auth").WithTags("Console sessions").AllowAnonymous();
        auth.MapPost("/login", LoginAsync)
            .WithName("Login")
            .WithSummary("Signs in with an API key: sets the HttpOnly session cookie the console uses instead of the key.")
            // Not .Accepts(…): its routing policy would answer another media type without a problem body.
            .AddOpenApiOperationTransformer(async (operation, context, cancellationToken) => operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(LoginRequest), cancellationToken: cancellationToken) },
                },
            })
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        auth.MapGet("/session", (Func<HttpContext, Task<IResult>>)GetSessionAsync)
            .WithName("GetSession")
            .WithSummary("The signed-in caller (identity and role) and the session's token for X-CSRF-Token.")
            .Produces<SessionView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/logout", LogoutAsync)
            .WithName("Logout")
            .WithSummary("Signs out: the session cookie stops working at once, on every gateway replica.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    private static async Task<IResult> LoginAsync(
        HttpContext context, ApiKeyRing keys, LoginAttempts attempts, SessionRevocations revocations, ILoggerFactory loggers)
    {
        NoStore(context);
        var logger = loggers.CreateLogger(typeof(SessionApi));
        if (attempts.TryTake(context) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            LogTooManyAttempts(logger);
            return Problem(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests",
                $"Too many sign-in attempts from this address; try again in {seconds} s.");
        }

        var (key, problem) = await ReadKeyAsync(context.Request, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        var owner = keys.Find(key!);
        if (owner is null)
        {
            LogUnknownKey(logger);
            return Problem(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Unauthenticated",
                "That API key is not known here. Check that it was copied whole (keys are case-sensitive) and that it has not been removed.");
        }

        // Signing in again replaces the session the browser had.
        var previous = await context.AuthenticateAsync(ConsoleSession.Scheme);
        if (previous.Principal?.FindFirst(ConsoleSession.SessionIdClaim)?.Value is { } previousId)
        {
            revocations.Revoke(previousId);
        }

        var sessionId = SessionRevocations.NewSessionId();
        var csrfToken = Base64Url(RandomNumberGenerator.GetBytes(32));
        var keyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key!)));
        await context.SignInAsync(ConsoleSession.Scheme, ConsoleSession.Principal(owner, sessionId, csrfToken, keyHash), new AuthenticationProperties
        {
            IsPersistent = false,
            AllowRefresh = true,
        });
        LogSignedIn(logger, owner.Identity, owner.Role, owner.KeyId);
        return Results.NoContent();
    }

    private static async Task<IResult> GetSessionAsync(HttpContext context)
    {
        NoStore(context);
        var session = await context.AuthenticateAsync(ConsoleSession.Scheme);
        if (session.Principal is not { } user)
        {
            return Problem(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Unauthenticated",
                context.Request.Cookies.ContainsKey(ConsoleSession.CookieName)
                    ? "The console session is not valid any more (signed out, expired, or its API key was removed); sign in again."
                    : "Not signed in: POST /auth/login with {\"apiKey\": \"<key>\"} first.");
        }

        return Results.Json(new SessionView(
            user.FindFirst(GatewayIdentity.SubjectClaim)!.Value,
            user.FindFirst(GatewayIdentity.RoleClaim)!.Value,
            user.FindFirst(ConsoleSession.CsrfTokenClaim)!.Value));
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, SessionRevocations revocations, ILoggerFactory loggers)
    {
        NoStore(context);
        var session = await context.AuthenticateAsync(ConsoleSession.Scheme);
        if (session.Principal?.FindFirst(ConsoleSession.SessionIdClaim)?.Value is { } sessionId)
        {
            revocations.Revoke(sessionId);
            LogSignedOut(loggers.CreateLogger(typeof(SessionApi)), session.Principal.FindFirst(GatewayIdentity.SubjectClaim)?.Value ?? "");
        }

        await context.SignOutAsync(ConsoleSession.Scheme);
        return Results.NoContent();
    }

    /// <summary>The key from a body <c>{"apiKey": "…"}</c> (JSON, nothing else in it), or the problem to answer with.</summary>
    private static async Task<(string? Key, IResult? Problem)> ReadKeyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        const string Expected = "Send {\"apiKey\": \"<key>\"} as application/json.";
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type",
                $"Got '{request.ContentType ?? "no content type"}'. {Expected}"));
        }

        var body = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > MaxLoginBodyBytes)
            {
                return (null, Problem(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large",
                    $"A sign-in body is at most {MaxLoginBodyBytes} bytes. {Expected}"));
            }
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, InvalidRequest($"The body is not a JSON object. {Expected}"));
            }

            string? key = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name != "apiKey")
                {
                    // The name is the client's: quoted only when short.
                    var name = property.Name.Length <= 40 ? $"'{property.Name}'" : "a field";
                    return (null, InvalidRequest($"The body has {name}, which is not known here. {Expected}"));
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    return (null, InvalidRequest($"'apiKey' must be a string. {Expected}"));
                }

                key = property.Value.GetString();
            }

            return string.IsNullOrWhiteSpace(key)
                ? (null, InvalidRequest($"'apiKey' is missing or empty. {Expected}"))
                : (key.Trim(), null);
        }
        catch (JsonException)
        {
            return (null, InvalidRequest($"The body is not valid JSON. {Expected}"));
        }
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ProblemHttpResult InvalidRequest(string detail) =>
        Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", detail);

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));

    [LoggerMessage(Level = LogLevel.Information, Message = "Console sign-in as {Identity} ({Role}) with key {KeyId}")]
    private static partial void LogSignedIn(ILogger logger, string identity, string role, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Console sign-out of {Identity}")]
    private static partial void LogSignedOut(ILogger logger, string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a console sign-in with an unknown API key")]
    private static partial void LogUnknownKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a console sign-in: too many attempts from this address")]
    private static partial void LogTooManyAttempts(ILogger logger);
}

/// <summary>The body of <c>POST /auth/login</c>.</summary>
/// <param name="ApiKey">A RunMesh API key; the session gets its identity and role.</param>
internal sealed record LoginRequest(string ApiKey);

/// <summary>The answer of <c>GET /auth/session</c>.</summary>
/// <param name="Identity">The API key's identity.</param>
/// <param name="Role">Its role: <c>viewer</c>, <c>submitter</c>, <c>approver</c> or <c>admin</c>.</param>
/// <param name="CsrfToken">Send it as <c>X-CSRF-Token</c> on every POST, PUT, PATCH and DELETE made with the cookie.</param>
internal sealed record SessionView(string Identity, string Role, string CsrfToken);
