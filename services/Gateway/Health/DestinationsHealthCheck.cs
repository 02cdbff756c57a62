using Microsoft.Extensions.Diagnostics.HealthChecks;
using Yarp.ReverseProxy;

namespace RunMesh.Gateway.Health;

/// <summary>
/// The gateway is ready when every cluster has at least one destination whose <c>/health/live</c> answers:
/// then every route has somewhere to go.
/// </summary>
internal sealed class DestinationsHealthCheck(IProxyStateLookup proxy, IHttpClientFactory httpClients) : IHealthCheck
{
    public const string HttpClientName = "destination-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var http = httpClients.CreateClient(HttpClientName);
        var clusters = proxy.GetClusters().ToList();
        var results = await Task.WhenAll(clusters.Select(async cluster =>
        {
            foreach (var destination in cluster.Destinations.Values)
            {
                if (await AnswersAsync(http, destination.Model.Config.Address, cancellationToken))
                {
                    return (cluster.ClusterId, reachable: true);
                }
            }

            return (cluster.ClusterId, reachable: false);
        }));

        var unreachable = results.Where(r => !r.reachable).Select(r => r.ClusterId).ToList();
        return unreachable.Count == 0
            ? HealthCheckResult.Healthy($"{clusters.Count} clusters reachable")
            : HealthCheckResult.Unhealthy($"unreachable: {string.Join(", ", unreachable)}");
    }

    private static async Task<bool> AnswersAsync(HttpClient http, string address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(address), "/health/live"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
