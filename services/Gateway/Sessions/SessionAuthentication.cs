using System.Xml.Linq;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using RunMesh.Gateway.Authentication;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Sessions;

/// <summary>
/// Console sessions: ASP.NET Core's cookie authentication with the ticket protected by Data Protection (key ring in
/// <see cref="SessionSettings.Directory"/>), HttpOnly, SameSite=Strict, Secure when the request is https (always when
/// the public URL is), expiring after <see cref="SessionSettings.IdleTimeout"/> without a request. The gateway's
/// default scheme picks the API key when a request carries one, else the cookie.
/// </summary>
internal static partial class SessionAuthentication
{
    /// <summary>Data Protection's application name: replicas (and restarts from another folder) share cookies.</summary>
    private const string ApplicationName = "runmesh-gateway";

    public static AuthenticationBuilder AddConsoleSessions(this AuthenticationBuilder authentication)
    {
        var services = authentication.Services;
        services.AddSingleton<SessionRevocations>();
        services.AddSingleton<LoginAttempts>();
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>, SessionKeyRing>();

        authentication.AddPolicyScheme(ConsoleSession.KeyOrSessionScheme, "API key or console session", scheme =>
            scheme.ForwardDefaultSelector = context =>
                ApiKeyAuthenticationHandler.ReadKey(context.Request.Headers) is null && context.Request.Cookies.ContainsKey(ConsoleSession.CookieName)
                    ? ConsoleSession.Scheme
                    : ApiKeyAuthenticationHandler.SchemeName);
        authentication.AddCookie(ConsoleSession.Scheme);
        services.AddOptions<CookieAuthenticationOptions>(ConsoleSession.Scheme)
            .Configure<IOptions<GatewayOptions>>((cookie, gateway) =>
            {
                var sessions = gateway.Value.Sessions;
                cookie.Cookie.Name = ConsoleSession.CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.Path = "/";
                cookie.Cookie.IsEssential = true;
                cookie.Cookie.SecurePolicy = gateway.Value.PublicUrl?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true
                    ? CookieSecurePolicy.Always
                    : CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = sessions.IdleTimeout;
                cookie.SlidingExpiration = true;
                cookie.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = ValidateAsync,
                    OnRedirectToLogin = context => ProblemResponses.WriteAsync(
                        context.HttpContext, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Unauthenticated",
                        "The console session is not valid any more (signed out, expired, or its API key was removed); sign in again."),
                    OnRedirectToAccessDenied = context => AccessProblems.WriteForbiddenAsync(context.HttpContext),
                    OnRedirectToLogout = _ => Task.CompletedTask,
                    OnRedirectToReturnUrl = _ => Task.CompletedTask,
                };
            });
        return authentication;
    }

    /// <summary>
    /// On every request with a cookie: a signed-out session, or one whose API key is no longer configured, is refused
    /// (and its cookie deleted); a key whose identity or role changed in configuration carries the change into its session.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal!;
        var sessionId = principal.FindFirst(ConsoleSession.SessionIdClaim)?.Value;
        var csrfToken = principal.FindFirst(ConsoleSession.CsrfTokenClaim)?.Value;
        var keyHash = principal.FindFirst(ConsoleSession.KeyHashClaim)?.Value;
        var revocations = context.HttpContext.RequestServices.GetRequiredService<SessionRevocations>();
        var owner = keyHash is { Length: 64 } && keyHash.All(char.IsAsciiHexDigitLower)
            ? context.HttpContext.RequestServices.GetRequiredService<ApiKeyRing>().FindByHash(Convert.FromHexString(keyHash))
            : null;
        if (sessionId is null || csrfToken is null || owner is null || revocations.IsRevoked(sessionId))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(ConsoleSession.Scheme);
            return;
        }

        if (owner.Identity != principal.FindFirst(GatewayIdentity.SubjectClaim)?.Value
            || owner.Role != principal.FindFirst(GatewayIdentity.RoleClaim)?.Value
            || owner.KeyId != principal.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value)
        {
            context.ReplacePrincipal(ConsoleSession.Principal(owner, sessionId, csrfToken, keyHash!));
            context.ShouldRenew = true;
        }
    }

    /// <summary>Where the Data Protection keys live: <c>keys/</c> of the session directory, else in memory.</summary>
    private sealed class SessionKeyRing(IOptions<GatewayOptions> gateway, ILoggerFactory loggers) : IConfigureOptions<KeyManagementOptions>
    {
        public void Configure(KeyManagementOptions options)
        {
            if (gateway.Value.Sessions.Directory is { } root)
            {
                var keys = Path.Combine(root, "keys");
                SessionDirectories.CreatePrivate(keys);
                options.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(keys), loggers);
            }
            else
            {
                LogSessionsInMemory(loggers.CreateLogger(typeof(SessionAuthentication)));
                options.XmlRepository = new MemoryXmlRepository();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway:Sessions:Directory is not set: console sessions are kept in memory and end when the gateway restarts")]
    private static partial void LogSessionsInMemory(ILogger logger);

    /// <summary>A key ring that lives as long as the process.</summary>
    private sealed class MemoryXmlRepository : IXmlRepository
    {
        private readonly List<XElement> _elements = [];

        public IReadOnlyCollection<XElement> GetAllElements()
        {
            lock (_elements)
            {
                return [.. _elements.Select(e => new XElement(e))];
            }
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            lock (_elements)
            {
                _elements.Add(new XElement(element));
            }
        }
    }
}
