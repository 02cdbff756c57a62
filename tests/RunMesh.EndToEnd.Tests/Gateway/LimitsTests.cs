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
