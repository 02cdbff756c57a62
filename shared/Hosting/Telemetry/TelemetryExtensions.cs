using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RunMesh.Hosting.Telemetry;

/// <summary>OpenTelemetry traces and metrics for a service: HTTP in and out, MassTransit, Npgsql, the runtime.</summary>
internal static class TelemetryExtensions
{
    /// <summary>MassTransit's activity source and meter name.</summary>
    private const string MassTransitSource = "MassTransit";

    /// <summary>Npgsql's meter name.</summary>
    private const string NpgsqlMeter = "Npgsql";

    /// <summary>
    /// The tags Npgsql's metrics keep. Its pool name is the connection string without the password (host, port,
    /// database, user name) and <c>/metrics</c> answers anyone: that tag, and the server address and database name,
    /// are dropped; the series of a service's pools add up into one.
    /// </summary>
    private static readonly MetricStreamConfiguration s_npgsqlTags = new()
    {
        TagKeys = ["db.client.connection.state", "db.system.name", "db.operation.name", "db.response.status_code", "error.type"],
    };

    public static WebApplicationBuilder AddServiceTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        var exportTraces = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName: $"runmesh-{serviceName}",
                serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithTracing(tracing =>
            {
                tracing
                    .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"))
                    .AddHttpClientInstrumentation()
                    .AddSource(MassTransitSource);

                // A span per SQL command (several per consumed message) is only worth its cost when a collector
                // receives it; the HTTP and bus spans stay either way, because they carry the trace context from the
                // gateway across the bus (the trace id in every log line).
                if (exportTraces)
                {
                    tracing.AddNpgsql();
                }
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(MassTransitSource)
                .AddNpgsqlInstrumentation()
                .AddView(instrument => instrument.Meter.Name == NpgsqlMeter ? s_npgsqlTags : null)
                .AddPrometheusExporter());

        // Export traces to a collector only when one is configured (standard OTEL_* variables).
        if (exportTraces)
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }
}
