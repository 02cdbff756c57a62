using MassTransit.UsageTracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Hosting.Messaging;

namespace RunMesh.Integration.Tests.Hosting;

/// <summary>The bus every service registers reports no usage to MassTransit's vendor.</summary>
public sealed class BusUsageTelemetryTests
{
    [Fact]
    public async Task The_service_bus_has_usage_telemetry_turned_off()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["RabbitMq:Url"] = "amqp://guest:guest@127.0.0.1:5672/";
        builder.AddServiceBus();
        await using var app = builder.Build();

        // The tracker decides once, when created, whether it will post a report after the bus has started.
        var tracker = app.Services.GetRequiredService<IUsageTracker>();

        tracker.ShouldBeOfType<UsageTracker>().Enabled.ShouldBeFalse();
    }
}
