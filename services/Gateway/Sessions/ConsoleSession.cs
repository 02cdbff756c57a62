using System.Security.Claims;
using RunMesh.Gateway.Authentication;
using RunMesh.Hosting.Identity;

namespace RunMesh.Gateway.Sessions;

/// <summary>
/// What a console session is: the authentication scheme of its cookie, the cookie's name, and the claims the
/// (encrypted) cookie carries — the API key's identity and role as for the key itself, plus the session's id, its
/// anti-forgery token and the SHA-256 of the key it was opened with (so the key's configuration is consulted on
/// every request: a key removed or given another role changes its sessions too).
/// </summary>
internal static class ConsoleSession
{
    /// <summary>The cookie's authentication scheme.</summary>
    public const string Scheme = "Session";

    /// <summary>The gateway's default scheme: the API key when a request carries one, else the session cookie.</summary>
    public const string KeyOrSessionScheme = "ApiKeyOrSession";

    public const string CookieName = "runmesh_session";

    /// <summary>The header a state-changing request authenticated by the cookie must carry.</summary>
    public const string CsrfHeader = "X-CSRF-Token";

    public const string SessionIdClaim = "sid";
    public const string CsrfTokenClaim = "csrf";
    public const string KeyHashClaim = "key_hash";

    /// <summary>The principal of a session opened with the key (by its SHA-256) that <paramref name="owner"/> holds.</summary>
    public static ClaimsPrincipal Principal(ApiKeyOwner owner, string sessionId, string csrfToken, string keyHash) =>
        new(new ClaimsIdentity(
            [
                new Claim(GatewayIdentity.SubjectClaim, owner.Identity),
                new Claim(GatewayIdentity.RoleClaim, owner.Role),
                new Claim(ApiKeyAuthenticationHandler.KeyIdClaim, owner.KeyId),
                new Claim(SessionIdClaim, sessionId),
                new Claim(CsrfTokenClaim, csrfToken),
                new Claim(KeyHashClaim, keyHash),
            ],
            Scheme,
            GatewayIdentity.SubjectClaim,
            GatewayIdentity.RoleClaim));

    /// <summary>Whether the request's caller was authenticated by a session cookie (not by an API key).</summary>
    public static bool IsSession(ClaimsPrincipal user) => user.Identity is { IsAuthenticated: true, AuthenticationType: Scheme };
}
