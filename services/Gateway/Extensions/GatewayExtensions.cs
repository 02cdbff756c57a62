using RunMesh.Gateway.Health;
using RunMesh.Hosting.Health;

namespace RunMesh.Gateway.Extensions;

/// <summary>The gateway's wiring: YARP routes and clusters from the <c>ReverseProxy</c> configuration section.</summary>
internal static class GatewayExtensions
{
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

        builder.Services.AddHttpClient(DestinationsHealthCheck.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(2));
        builder.Services.AddHealthChecks()
            .AddCheck<DestinationsHealthCheck>("destinations", tags: [HealthTags.Ready]);
        return builder;
    }
}
