using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Correlation;
using RunMesh.Hosting.Health;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;
using RunMesh.Hosting.Requests;
using RunMesh.Hosting.Telemetry;

namespace RunMesh.Hosting;

/// <summary>
/// What every RunMesh service gets, once: service identity, logging with correlation ids,
/// health endpoints, problem details and OpenTelemetry. In the spirit of eShop's ServiceDefaults.
/// </summary>
public static class ServiceDefaults
{
    /// <summary>The gateway's service name.</summary>
    public const string GatewayServiceName = "gateway";

    /// <summary>Registers the defaults shared by all five services.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);

        builder.Services.AddOptions<ServiceIdentity>()
            .Configure(identity => identity.Name = serviceName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        // Every problem has a code, also those the framework writes (an unknown path, a wrong method).
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ProblemResponses.AddMissingCode);
        builder.Services.AddExceptionHandler<UnhandledExceptionProblems>();
        // Every log line carries its scopes: the correlation id, and the trace/span of the request or message.
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.IncludeScopes = true;
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: [HealthTags.Live]);

        builder.AddServiceTelemetry(serviceName);
        // Numbers are numbers: every body is read strictly (StrictJsonBody), and the API documents' schemas come from
        // these options, so they must not say an integer may be sent as a string.
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        // A service's own document is read through the gateway, which names the server; it names none itself.
        builder.Services.AddOpenApi(openApi => openApi.UseServer(_ => null).UseRunMeshConventions());
        builder.Services.AddSingleton<ApiDocumentCache>();

        // The gateway authenticates API keys itself (and signs the identity the others validate).
        if (serviceName != GatewayServiceName)
        {
            builder.AddGatewayIdentity(serviceName);
        }

        return builder;
    }

    /// <summary>
    /// Adds to the pipeline: <c>HEAD</c> on every <c>GET</c> route, a problem+json for every error answered without a
    /// body (an unknown path, a wrong method), routing, correlation ids, authentication and authorization, and the refusal
    /// of query parameters an API endpoint does not take; and maps the endpoints every service answers without
    /// authentication: <c>/health/live</c> (the process runs), <c>/health/ready</c> (what it depends on answers),
    /// <c>/metrics</c> and its OpenAPI document(s) at <c>/openapi/{documentName}.json</c>. Every other endpoint needs an
    /// authenticated caller (the authorization fallback policy).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseHeadRequests();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseCorrelationId();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseKnownQueryParameters();

        // Health and metrics are no handler methods, so no document describes them by itself; their metadata says what they
        // answer, for the gateway's own document (services/Gateway/ApiDocuments).
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Live),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous()
            .WithName("HealthLive").WithTags("Health").WithSummary("Whether the process runs (always 200 while it answers).")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(HealthReportView), ["application/json"]));
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = HealthResponseWriter.WriteAsync,
            // A degraded dependency (e.g. a bus endpoint still reconnecting) is not ready.
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).AllowAnonymous()
            .WithName("HealthReady").WithTags("Health").WithSummary("Whether what it depends on answers: 200 when ready, 503 when not.")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(HealthReportView), ["application/json"]))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(HealthReportView), ["application/json"]));
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous()
            .WithName("Metrics").WithTags("Health").WithSummary("Metrics in the Prometheus text format.")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/plain"]));
        app.MapGet("/openapi/{documentName}.json", ApiDocumentCache.ServeAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
