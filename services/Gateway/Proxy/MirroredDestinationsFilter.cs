using Yarp.ReverseProxy.Configuration;

namespace RunMesh.Gateway.Proxy;

/// <summary>
/// A cluster with metadata <c>DestinationsOf: &lt;cluster&gt;</c> and no destinations of its own gets the destinations
/// configured for that cluster. The event stream needs its own cluster (YARP's activity timeout is a cluster setting)
/// but must not need its destinations configured twice.
/// </summary>
internal sealed class MirroredDestinationsFilter(IConfiguration configuration) : IProxyConfigFilter
{
    public const string DestinationsOfMetadata = "DestinationsOf";

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (cluster.Metadata?.GetValueOrDefault(DestinationsOfMetadata) is not { Length: > 0 } source || cluster.Destinations is { Count: > 0 })
        {
            return ValueTask.FromResult(cluster);
        }

        var destinations = configuration.GetSection($"ReverseProxy:Clusters:{source}:Destinations").GetChildren()
            .ToDictionary(
                section => section.Key,
                section => new DestinationConfig { Address = section["Address"] ?? "", Health = section["Health"] },
                StringComparer.OrdinalIgnoreCase);
        return ValueTask.FromResult(cluster with { Destinations = destinations });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
