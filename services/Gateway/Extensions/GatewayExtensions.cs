using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Options;
using RunMesh.Gateway.ApiDocuments;
using RunMesh.Gateway.Authentication;
using RunMesh.Gateway.Health;
using RunMesh.Gateway.Identity;
using RunMesh.Gateway.Limits;
using RunMesh.Gateway.Proxy;
using RunMesh.Gateway.Sessions;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Health;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;
using Yarp.ReverseProxy.Forwarder;

namespace RunMesh.Gateway.Extensions;

/// <summary>
/// The gateway's wiring: API-key and console-session authentication with role policies, YARP routes and clusters from the
/// <c>ReverseProxy</c> configuration section (each route names its role policy), the signed identity forwarded to
/// the services, body size and rate limits, request timeouts, and problem+json for every error it produces.
/// </summary>
internal static class GatewayExtensions
{
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<ApiKeyRing>();
        builder.Services.AddAuthentication(ConsoleSession.KeyOrSessionScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddConsoleSessions();
        builder.Services.AddAuthorization(authorization => authorization.AddRolePolicies());

        builder.Services.AddSingleton<IdentityTokenIssuer>();
        builder.Services.AddSingleton<IForwarderHttpClientFactory, DestinationHttpClientFactory>();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<MirroredDestinationsFilter>()
            .AddTransforms<IdentityForwarding>()
            .AddTransforms<CorrelationIdForwarding>()
            .AddTransforms<HeadForwarding>();

        builder.Services.AddApiKeyRateLimiter();
        builder.Services.AddRequestTimeouts();
        builder.Services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<GatewayOptions>>((timeouts, gateway) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = TimeSpan.FromSeconds(gateway.Value.RequestTimeoutSeconds),
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
                WriteTimeoutResponse = context => ProblemResponses.WriteAsync(
                    context, StatusCodes.Status504GatewayTimeout, ProblemCodes.GatewayTimeout, "Gateway timeout", "The request took longer than the gateway allows."),
            });

        builder.Services.AddHttpClient(DestinationsHealthCheck.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(2));
        // A service makes its document once, on the first request: seconds of CPU on a cold process under load.
        builder.Services.AddHttpClient(ApiDocumentsApi.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddHealthChecks()
            .AddCheck<DestinationsHealthCheck>("destinations", tags: [HealthTags.Ready]);
        builder.Services.AddOpenApi(ApiDocumentsApi.GatewayDocumentName, openApi => openApi
            .UseServer(services => services.GetRequiredService<IOptions<GatewayOptions>>().Value.PublicUrl)
            .UseRunMeshConventions()
            .DescribeGatewayEndpoints());
        return builder;
    }

    /// <summary>
    /// Before authentication: the per-client-address rate limit (so unknown keys are limited too), then header values
    /// that could not be forwarded are refused with 400.
    /// </summary>
    public static WebApplication UseGatewayAdmission(this WebApplication app)
    {
        app.UseMiddleware<ClientAddressRateLimitMiddleware>();
        app.UseMiddleware<HeaderValuesMiddleware>();
        return app;
    }

    /// <summary>
    /// After authentication: the console session's anti-forgery check, per-key rate limit, request timeouts, body size limit.
    /// </summary>
    public static WebApplication UseGatewayLimits(this WebApplication app)
    {
        app.UseMiddleware<CsrfTokenMiddleware>();
        app.UseRateLimiter();
        app.UseRequestTimeouts();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        return app;
    }

    /// <summary>The proxied routes, with problem+json for forwarding failures, and a problem+json 404 for anything unrouted.</summary>
    public static WebApplication MapGatewayProxy(this WebApplication app)
    {
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ForwarderProblemsMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        // Every path, file-like ones (/robots.txt) included: the framework's default fallback skips those.
        app.MapFallback("{**path}", context => ProblemResponses.WriteAsync(
                context, StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found", "No route for this method and path."))
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }
}
