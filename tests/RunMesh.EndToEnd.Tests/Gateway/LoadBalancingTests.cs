using System.Net;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// Two orchestrator instances behind one cluster: the gateway spreads requests over both (round robin), and once one
/// is killed its active health check (<c>/health/ready</c>, consecutive failures) takes it out, so every request
/// reaches the survivor again.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class LoadBalancingTests(GatewayFixture fixture)
{
    private const int Requests = 20;

    [Fact]
    public async Task Requests_are_spread_over_replicas_and_a_killed_replica_is_taken_out_by_the_active_health_check()
    {
        var mesh = fixture.Mesh;
        var survivor = mesh.Service("orchestrator");
        var replica = await mesh.AddReplicaAsync("orchestrator-2", "orchestrator");
        try
        {
            var gateway = await mesh.StartGatewayAsync("gateway-two-orchestrators", new Dictionary<string, string>
            {
                ["ReverseProxy:Clusters:orchestrator:Destinations:orchestrator-2:Address"] = replica.BaseAddress.ToString(),
                // The default probes every 5 s; a 1 s interval keeps the test short without changing what is tested.
                ["ReverseProxy:Clusters:orchestrator:HealthCheck:Active:Interval"] = "00:00:01",
            });
            var viewer = mesh.GatewayClient("viewer", gateway: gateway);

            var spread = await SendProbesAsync(viewer, "spread");
            spread.ShouldAllBe(p => p.Status == HttpStatusCode.NotFound);
            await UntilLoggedAsync(spread, p => survivor.LogContains(p) || replica.LogContains(p), "every request to show in a request log");
            var reachedSurvivor = spread.Count(p => survivor.LogContains(p.Probe));
            var reachedReplica = spread.Count(p => replica.LogContains(p.Probe));
            (reachedSurvivor + reachedReplica).ShouldBe(Requests, "every request shows in exactly one instance's request log");
            reachedSurvivor.ShouldBeGreaterThanOrEqualTo(Requests / 4, $"round robin: {reachedSurvivor} reached orchestrator, {reachedReplica} orchestrator-2");
            reachedReplica.ShouldBeGreaterThanOrEqualTo(Requests / 4, $"round robin: {reachedSurvivor} reached orchestrator, {reachedReplica} orchestrator-2");

            await replica.KillAsync();

            // Until the health check has failed enough times in a row, some requests still go to the dead instance
            // (502 from the gateway instead of the orchestrator's 404). Bounded wait: two failed probes at a 1 s
            // interval, with room for a busy machine.
            await Eventually.UntilAsync(
                async () => (await SendProbesAsync(viewer, "after-kill")).All(p => p.Status == HttpStatusCode.NotFound),
                TimeSpan.FromSeconds(20),
                $"{Requests} requests in a row to be answered by the survivor after orchestrator-2 was killed",
                () => gateway.LogTail());

            var after = await SendProbesAsync(viewer, "taken-out");
            after.ShouldAllBe(p => p.Status == HttpStatusCode.NotFound);
            await UntilLoggedAsync(after, survivor.LogContains, "with orchestrator-2 taken out, every request to reach the survivor");
        }
        finally
        {
            await replica.KillAsync();
        }
    }

    /// <summary>Log lines arrive through the child's stdout pipe a moment after the response.</summary>
    private static Task UntilLoggedAsync(List<(string Probe, HttpStatusCode Status)> probes, Func<string, bool> logged, string what) =>
        Eventually.UntilAsync(() => Task.FromResult(probes.All(p => logged(p.Probe))), TimeSpan.FromSeconds(10), what);

    private static async Task<List<(string Probe, HttpStatusCode Status)>> SendProbesAsync(HttpClient client, string stage)
    {
        var results = new List<(string, HttpStatusCode)>();
        for (var i = 0; i < Requests; i++)
        {
            var probe = $"{stage}-{Guid.NewGuid():N}";
            // The probe is in the path, where the request log shows it; the orchestrator answers 404 template_not_found.
            using var response = await client.GetAsync($"/api/templates/{probe}/1");
            results.Add((probe, response.StatusCode));
        }

        return results;
    }
}
