using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RunMesh.Gateway.Tests;

/// <summary>
/// The gateway in-process (its real <c>Program</c>, through <see cref="WebApplicationFactory{TEntryPoint}"/>), with one
/// API key per role (identity <c>test-{role}</c>) and every cluster routed to one <see cref="RecordingDestination"/>.
/// Two hosts given the same session directory are the same gateway before and after a restart.
/// </summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    public static readonly string[] Roles = ["viewer", "submitter", "approver", "admin"];

    private readonly WebApplicationFactory<Program> _factory;
    private readonly CapturedLog _log = new();

    public GatewayHost(
        RecordingDestination destination, string sessionDirectory, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            // A signing key per host: IdentityModel caches signers per key process-wide, and a disposed host disposes its key.
            ["Gateway:Signing:PrivateKeyPem"] = CreateSigningKeyPem(),
            ["Gateway:Sessions:Directory"] = sessionDirectory,
            ["Gateway:Sessions:LoginAttemptsPerMinute"] = "1000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var role in Roles)
        {
            configuration[$"Gateway:ApiKeys:test-{role}:Role"] = role;
            configuration[$"Gateway:ApiKeys:test-{role}:KeyHashes:0"] = RunMesh.Gateway.Authentication.ApiKeyRing.HashOf(ApiKey(role));
        }

        foreach (var cluster in new[] { "orchestrator", "approval", "report", "planner" })
        {
            configuration[$"ReverseProxy:Clusters:{cluster}:Destinations:{cluster}-1:Address"] = destination.BaseAddress.ToString();
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            foreach (var (key, value) in configuration)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureLogging(logging => logging.AddProvider(_log));
            if (clock is not null)
            {
                web.ConfigureTestServices(services => services.AddSingleton(clock));
            }
        });
    }

    /// <summary>The API key of identity <c>test-{role}</c>.</summary>
    public static string ApiKey(string role) => $"rm_{role}_{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(role)))[..32]}";

    /// <summary>A client that keeps no cookies of its own (each test sends the cookie it means to), over http unless told.</summary>
    public HttpClient Client(string scheme = "http") =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            HandleCookies = false,
            AllowAutoRedirect = false,
            BaseAddress = new Uri($"{scheme}://localhost"),
        });

    /// <summary>The gateway's log lines (warnings and up unless configured otherwise), for a failure message.</summary>
    public string Log => string.Join(Environment.NewLine, _log.Lines);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static string CreateSigningKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }
}

/// <summary>A stand-in for every service: records each request it gets (with the identity the gateway signed) and answers 200 <c>{}</c>.</summary>
internal sealed class RecordingDestination : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingDestination(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Requests other than health probes, in arrival order.</summary>
    public ConcurrentQueue<ForwardedRequest> Requests { get; } = new();

    public static async Task<RecordingDestination> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        RecordingDestination? destination = null;
        app.Run(async context =>
        {
            if (!context.Request.Path.StartsWithSegments("/health"))
            {
                destination!.Requests.Enqueue(new ForwardedRequest(
                    context.Request.Method,
                    context.Request.Path.Value ?? "",
                    context.Request.Headers.Authorization.ToString(),
                    context.Request.Headers.Cookie.ToString()));
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        destination = new RecordingDestination(app, new Uri(address));
        return destination;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A request as a service received it through the gateway.</summary>
internal sealed record ForwardedRequest(string Method, string Path, string Authorization, string Cookie)
{
    /// <summary>The <c>sub</c> and <c>role</c> of the identity token the gateway signed for the request.</summary>
    public (string? Subject, string? Role) Identity()
    {
        if (!Authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return (null, null);
        }

        var payload = Authorization["Bearer ".Length..].Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var claims = JsonDocument.Parse(Convert.FromBase64String(payload));
        return (claims.RootElement.GetProperty("sub").GetString(), claims.RootElement.GetProperty("role").GetString());
    }
}

/// <summary>Keeps the gateway's log lines in memory.</summary>
internal sealed class CapturedLog : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
    }
}
