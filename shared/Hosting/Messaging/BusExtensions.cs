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
/// no usage report to MassTransit's vendor, kebab-case endpoint names, string enums, decimals as numbers and compact JSON on the wire, bus health in <c>/health/ready</c>, and the
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
            // Nobody consumes Fault<T>, and each broker user may write only the exchanges of the messages its service
            // sends (deploy/rabbitmq/permissions.conf): a failed message goes to its endpoint's _error queue instead.
            bus.AddConfigureEndpointsCallback((_, endpoint) => endpoint.PublishFaults = false);
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
                var service = context.GetRequiredService<IOptions<ServiceIdentity>>().Value.Name;
                // The reply endpoint is named after the service so its broker user's permissions can name it.
                rabbit.OverrideDefaultBusEndpointQueueName(BusEndpointName(service));
                rabbit.PrefetchCount = options.PrefetchCount;
                rabbit.UseCompactJson();
                rabbit.UseDecimalNumbers();
                rabbit.ConfigureMeshPingEndpoint(context, service);
                rabbit.ConfigureEndpoints(context);
            });
        });

        return builder;
    }

    /// <summary>
    /// The queue (and exchange) of this process's bus endpoint, where replies to its requests arrive:
    /// <c>{service}-bus-{32 hex digits}</c>, unique per process, deleted by the broker when the process disconnects.
    /// </summary>
    public static string BusEndpointName(string service) => $"{service}-bus-{Guid.NewGuid():N}";

    /// <summary>
    /// MassTransit writes its JSON envelopes indented by default; compact JSON is the same envelope in 13–30 % fewer
    /// bytes (docs/benchmarks.md), which every hop pays for: serializing, the outbox row, the broker and
    /// every parser. The option is MassTransit's process-wide serializer setting.
    /// </summary>
    public static void UseCompactJson(this IBusFactoryConfigurator bus) =>
        // A copy: the options in use may already be read-only (a second bus in the same process).
        bus.ConfigureJsonSerializerOptions(json => json.WriteIndented ? new JsonSerializerOptions(json) { WriteIndented = false } : json);

    /// <summary>
    /// Decimals (money) as JSON numbers on the wire instead of MassTransit's strings, reading both
    /// (<see cref="DecimalNumberJsonConverter"/>). Like <see cref="UseCompactJson"/>, a process-wide serializer setting.
    /// </summary>
    public static void UseDecimalNumbers(this IBusFactoryConfigurator bus) =>
        bus.ConfigureJsonSerializerOptions(WithDecimalNumbers);

    /// <summary>
    /// <paramref name="json"/> with <see cref="DecimalNumberJsonConverter"/> in place of every other converter of
    /// <see cref="decimal"/> (MassTransit's writes strings); the same options when that is so already.
    /// </summary>
    public static JsonSerializerOptions WithDecimalNumbers(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Converters.Any(c => c is DecimalNumberJsonConverter) && !json.Converters.Any(IsOtherDecimalConverter))
        {
            return json;
        }

        // A copy: the options in use may already be read-only (a second bus in the same process).
        var copy = new JsonSerializerOptions(json);
        foreach (var other in copy.Converters.Where(IsOtherDecimalConverter).ToList())
        {
            copy.Converters.Remove(other);
        }

        copy.Converters.Insert(0, new DecimalNumberJsonConverter());
        return copy;
    }

    private static bool IsOtherDecimalConverter(System.Text.Json.Serialization.JsonConverter converter) =>
        converter is not DecimalNumberJsonConverter && converter is not System.Text.Json.Serialization.JsonConverterFactory
        && converter.CanConvert(typeof(decimal));
}
