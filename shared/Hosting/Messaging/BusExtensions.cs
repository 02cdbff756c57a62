using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Diagnostics;
using RunMesh.Hosting.Health;

namespace RunMesh.Hosting.Messaging;

/// <summary>
/// The MassTransit/RabbitMQ conventions every bus-connected service shares: broker from <c>RabbitMq:Url</c>,
/// no usage report to MassTransit's vendor, kebab-case endpoint names, string enums and compact JSON on the wire, bus health in <c>/health/ready</c>, and the
/// diagnostics ping endpoint that proves the wiring between two processes.
/// </summary>
public static class BusExtensions
{
    /// <summary>Adds MassTransit over RabbitMQ; <paramref name="configure"/> registers the service's consumers and sagas.</summary>
    public static WebApplicationBuilder AddServiceBus(
        this WebApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? configure = null)
    {
        builder.Services.AddOptions<RabbitMqOptions>()
            .BindConfiguration(RabbitMqOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        if (builder.Configuration.GetValue<bool>(DuplicateDelivery.ConfigurationKey))
        {
            // Test-only fault (reliability suite): every message goes to the broker twice with the same MessageId.
            builder.Services.AddSendObserver<DuplicateDelivery>();
            builder.Services.AddPublishObserver<DuplicateDelivery>();
        }

        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit otherwise posts a usage report (versions, OS, time zone, endpoint names) to masstransit.io
            // five minutes after start: the mesh sends nothing to outside hosts it was not configured to call.
            bus.DisableUsageTelemetry();
            bus.SetKebabCaseEndpointNameFormatter();
            bus.ConfigureHealthCheckOptions(health =>
            {
                health.Name = "bus";
                health.MinimalFailureStatus = HealthStatus.Unhealthy;
                health.Tags.Add(HealthTags.Ready);
            });

            bus.AddMeshPing();
            configure?.Invoke(bus);

            bus.UsingRabbitMq((context, rabbit) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                var broker = options.Parse();
                rabbit.Host(broker.Host, (ushort)broker.Port, broker.VirtualHost, host =>
                {
                    host.Username(broker.Username);
                    host.Password(broker.Password);
                    if (broker.UseTls)
                    {
                        host.UseSsl(_ => { });
                    }
                });
                rabbit.PrefetchCount = options.PrefetchCount;
                rabbit.UseCompactJson();
                rabbit.ConfigureMeshPingEndpoint(context, context.GetRequiredService<IOptions<ServiceIdentity>>().Value.Name);
                rabbit.ConfigureEndpoints(context);
            });
        });

        return builder;
    }

    /// <summary>
    /// MassTransit writes its JSON envelopes indented by default; compact JSON is the same envelope in 13–30 % fewer
    /// bytes (docs/benchmarks.md, session 10), which every hop pays for: serializing, the outbox row, the broker and
    /// every parser. The option is MassTransit's process-wide serializer setting.
    /// </summary>
    public static void UseCompactJson(this IBusFactoryConfigurator bus) =>
        // A copy: the options in use may already be read-only (a second bus in the same process).
        bus.ConfigureJsonSerializerOptions(json => json.WriteIndented ? new JsonSerializerOptions(json) { WriteIndented = false } : json);
}
