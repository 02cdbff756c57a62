using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Authentication;

/// <summary>
/// Authenticates a caller by API key, sent as <c>X-Api-Key: &lt;key&gt;</c> or <c>Authorization: Bearer &lt;key&gt;</c>
/// (<c>X-Api-Key</c> wins when both are sent). No key → 401 with <c>WWW-Authenticate</c>; an unknown key → 401;
/// a known key whose role is too low for the route → 403. All three are problem+json; the key never appears in
/// a log line or a response.
/// </summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The claim naming the key (not the secret): the rate limiter's partition.</summary>
    public const string KeyIdClaim = "key_id";

    private const string Challenge = "Bearer realm=\"runmesh\", ApiKey header=\"X-Api-Key\"";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request.Headers);
        if (key is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var owner = keys.Find(key);
        if (owner is null)
        {
            LogUnknownKey(Logger, Request.Method, Request.Path);
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(GatewayIdentity.SubjectClaim, owner.Identity),
                new Claim(GatewayIdentity.RoleClaim, owner.Role),
                new Claim(KeyIdClaim, owner.KeyId),
            ],
            SchemeName,
            GatewayIdentity.SubjectClaim,
            GatewayIdentity.RoleClaim);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = Challenge;
        var detail = result.Failure is null
            ? $"No API key. Send it as '{ApiKeyHeader}: <key>' or 'Authorization: Bearer <key>'."
            : "The API key is not known.";
        await ProblemResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Unauthenticated", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AccessProblems.WriteForbiddenAsync(Context);

    /// <summary>The key from <c>X-Api-Key</c>, else from <c>Authorization: Bearer</c>; null when neither carries one.</summary>
    public static string? ReadKey(IHeaderDictionary headers)
    {
        var apiKey = headers[ApiKeyHeader].ToString().Trim();
        if (apiKey.Length > 0)
        {
            return apiKey;
        }

        var authorization = headers[HeaderNames.Authorization].ToString();
        const string Bearer = "Bearer ";
        if (authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[Bearer.Length..].Trim();
            return token.Length > 0 ? token : null;
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused an unknown API key on {Method} {Path}")]
    private static partial void LogUnknownKey(ILogger logger, string method, string path);
}
