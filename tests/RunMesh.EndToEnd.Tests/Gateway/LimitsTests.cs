using System.Diagnostics;
using System.Net;
using System.Text;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>Body size, rate limit and unreachable destinations: each answered by the gateway with problem+json, quickly.</summary>
[Collection(GatewayMesh.Name)]
public sealed class LimitsTests(GatewayFixture fixture)
{
    private const int DefaultLimit = 1024 * 1024;

    [Theory]
    [InlineData(DefaultLimit + 1, false)]
    [InlineData(DefaultLimit + 1, true)]
    [InlineData(4 * DefaultLimit, true)]
    public async Task A_body_over_the_limit_is_refused_with_413(int size, bool chunked)
    {
        using var content = Body(size, chunked);

        using var response = await fixture.Mesh.GatewayClient("admin").PostAsync("/api/runs", content);

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task A_body_at_the_limit_is_forwarded()
    {
        using var content = Body(DefaultLimit, chunked: false);

        using var response = await fixture.Mesh.GatewayClient("admin").PostAsync("/api/runs", content);

        (await Responses.ProblemCodeAsync(response)).ShouldNotBe("payload_too_large");
        response.StatusCode.ShouldNotBeOneOf(HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.Unauthorized, HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task A_burst_over_the_rate_limit_is_refused_with_429_and_retry_after_per_key()
    {
        const int Permits = 5;
        var gateway = await fixture.Mesh.StartGatewayAsync("gateway-rate-limited", new Dictionary<string, string>
        {
            ["Gateway:RateLimit:PermitsPerMinute"] = Permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var viewer = fixture.Mesh.GatewayClient("viewer", gateway: gateway);

        for (var i = 0; i < Permits; i++)
        {
            using var allowed = await viewer.GetAsync("/api/templates");
            allowed.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests, $"request {i + 1} of {Permits}");
        }

        using var refused = await viewer.GetAsync("/api/templates");
        await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        refused.Headers.RetryAfter.ShouldNotBeNull();
        refused.Headers.RetryAfter.Delta!.Value.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        using var otherKey = await fixture.Mesh.GatewayClient("submitter", gateway: gateway).GetAsync("/api/templates");
        otherKey.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests, "the limit is per key");

        using var health = await gateway.Http.GetAsync("/health/live");
        health.StatusCode.ShouldBe(HttpStatusCode.OK, "anonymous endpoints are not counted");
    }

    [Fact]
    public async Task Requests_with_unknown_keys_are_limited_per_client_address_before_authentication()
    {
        const int Burst = 3;
        var gateway = await fixture.Mesh.StartGatewayAsync("gateway-address-limited", new Dictionary<string, string>
        {
            ["Gateway:RateLimit:PerClientAddress:PermitsPerSecond"] = "1",
            ["Gateway:RateLimit:PerClientAddress:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var guesser = fixture.Mesh.GatewayClientWithKey($"rm_guess_{Guid.NewGuid():N}", gateway);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 4 * Burst && refused is null; i++)
        {
            var response = await guesser.GetAsync("/api/templates");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        refused.ShouldNotBeNull($"statuses: {string.Join(", ", statuses)}");
        using (refused)
        {
            statuses.ShouldContain(HttpStatusCode.Unauthorized);
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
            refused.Headers.RetryAfter!.Delta!.Value.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        }

        using var health = await gateway.Http.GetAsync("/health/live");
        health.StatusCode.ShouldBe(HttpStatusCode.OK, "health is not counted");
    }

    [Fact]
    public async Task Exhausting_one_key_of_an_identity_leaves_its_other_key_unaffected()
    {
        // The limit is per key, not per identity (docs/gateway.md): a rotated-in key has a window of its own.
        const int Permits = 5;
        var secondKey = $"rm_viewer_second_{Guid.NewGuid():N}";
        var gateway = await fixture.Mesh.StartGatewayAsync("gateway-rate-limited-rotation", new Dictionary<string, string>
        {
            ["Gateway:RateLimit:PermitsPerMinute"] = Permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:ApiKeys:test-viewer:KeyHashes:1"] = MeshHarness.HashOf(secondKey),
        });
        var first = fixture.Mesh.GatewayClient("viewer", gateway: gateway);
        var second = fixture.Mesh.GatewayClientWithKey(secondKey, gateway);

        for (var i = 0; i < Permits; i++)
        {
            using var allowed = await first.GetAsync("/api/templates");
            allowed.StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i + 1} of {Permits} with the first key");
        }

        using (var refused = await first.GetAsync("/api/templates"))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        }

        for (var i = 0; i < Permits; i++)
        {
            using var allowed = await second.GetAsync("/api/templates");
            allowed.StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i + 1} of {Permits} with the second key of the same identity");
        }

        using (var secondRefused = await second.GetAsync("/api/templates"))
        {
            await secondRefused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        }

        using var firstStillRefused = await first.GetAsync("/api/templates");
        await firstStillRefused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
    }

    [Fact]
    public async Task A_destination_that_is_down_gives_a_quick_502_or_503_problem()
    {
        var gateway = await fixture.Mesh.StartGatewayAsync(
            "gateway-approval-down",
            new Dictionary<string, string>
            {
                ["ReverseProxy:Clusters:approval:Destinations:approval-1:Address"] = $"http://127.0.0.1:{ServiceProcess.FreePort()}",
            },
            waitUntilReady: false);
        var approver = fixture.Mesh.GatewayClient("approver", gateway: gateway);

        var clock = Stopwatch.StartNew();
        using var response = await approver.GetAsync("/api/approvals");
        clock.Stop();

        var code = await Responses.ProblemCodeAsync(response);
        response.StatusCode.ShouldBeOneOf(HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable);
        code.ShouldBeOneOf("bad_gateway", "service_unavailable");
        await response.ShouldBeProblemAsync(response.StatusCode, code!);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));

        using var other = await approver.GetAsync("/api/runs");
        other.StatusCode.ShouldNotBeOneOf(HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable);
        (await gateway.ReadyAsync()).ShouldBeFalse("a cluster without a reachable destination makes the gateway not ready");
    }

    [Fact]
    public async Task A_killed_service_gives_quick_problems_then_503_once_unhealthy_and_recovers_after_restart()
    {
        var mesh = fixture.Mesh;
        // A replica of its own, so the shared mesh's approval service keeps serving the other tests.
        var approval = await mesh.AddReplicaAsync("approval-killed", "approval");
        try
        {
            var gateway = await mesh.StartGatewayAsync("gateway-approval-killed", new Dictionary<string, string>
            {
                ["ReverseProxy:Clusters:approval:Destinations:approval-1:Address"] = approval.BaseAddress.ToString(),
                // Probes every second instead of 5 s: the destination is marked unhealthy after two failed probes.
                ["ReverseProxy:Clusters:approval:HealthCheck:Active:Interval"] = "00:00:01",
            });
            var approver = mesh.GatewayClient("approver", gateway: gateway);
            using (var before = await approver.GetAsync("/api/approvals"))
            {
                before.StatusCode.ShouldBe(HttpStatusCode.OK, await before.Content.ReadAsStringAsync());
            }

            await approval.KillAsync();

            // From the kill until the health check has taken the destination out: 502 (connection refused), then 503.
            var answers = new List<(HttpStatusCode Status, string? Code, TimeSpan Elapsed)>();
            await Eventually.UntilAsync(
                async () =>
                {
                    var answer = await TimedGetAsync(approver, "/api/approvals");
                    answers.Add(answer);
                    return answer.Status == HttpStatusCode.ServiceUnavailable;
                },
                TimeSpan.FromSeconds(30),
                "the gateway to answer 503 once the health check has marked the killed approval service unhealthy",
                () => $"answers: {string.Join(", ", answers)}{Environment.NewLine}{gateway.LogTail(20)}");
            foreach (var (status, code, elapsed) in answers)
            {
                status.ShouldBeOneOf(HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable);
                code.ShouldBe(status == HttpStatusCode.BadGateway ? "bad_gateway" : "service_unavailable");
                // The gateway's timeout is 100 s: a dead service is answered at once, never waited for.
                elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            }

            var clock = Stopwatch.StartNew();
            using (var unavailable = await approver.GetAsync("/api/approvals"))
            {
                clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
                await unavailable.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
                unavailable.Headers.RetryAfter?.Delta.ShouldBe(TimeSpan.FromSeconds(1), "until the next health probe (every second here)");
            }

            using (var otherRoute = await approver.GetAsync("/api/templates"))
            {
                otherRoute.StatusCode.ShouldBe(HttpStatusCode.OK, "only the killed service's route is unavailable");
            }

            await approval.RestartAsync(TimeSpan.FromSeconds(90));

            await Eventually.UntilAsync(
                async () => (await TimedGetAsync(approver, "/api/approvals")).Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30),
                "the route to answer 200 again once the restarted approval service passes the health check",
                () => gateway.LogTail(20));
        }
        finally
        {
            await approval.KillAsync();
        }
    }

    private static async Task<(HttpStatusCode Status, string? Code, TimeSpan Elapsed)> TimedGetAsync(HttpClient client, string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(path);
        var elapsed = clock.Elapsed;
        return (response.StatusCode, await Responses.ProblemCodeAsync(response), elapsed);
    }

    private static HttpContent Body(int size, bool chunked)
    {
        var json = Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', Math.Max(0, size - 14)) + "\"}");
        json.Length.ShouldBe(size);
        HttpContent content = chunked ? new StreamContent(new MemoryStream(json)) : new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        return content;
    }
}
