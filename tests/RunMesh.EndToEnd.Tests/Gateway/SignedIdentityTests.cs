using System.Net;
using System.Net.Http.Headers;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// The services trust one identity: the gateway's short-lived token. Whatever identity a client sends is not
/// forwarded, and calling a service directly without a valid token gets 401.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class SignedIdentityTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_client_bearer_token_and_identity_headers_are_replaced_by_the_gateway_identity()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/templates");
        request.Headers.Add("X-Api-Key", fixture.Mesh.ApiKey("viewer"));
        // Were this forwarded, the orchestrator would refuse it (401): it is not a valid identity token.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "forged.identity.token");
        request.Headers.Add("X-RunMesh-Identity", "admin");
        request.Headers.Add("X-Role", "admin");

        using var response = await fixture.Mesh.GatewayClient(null).SendAsync(request);

        response.StatusCode.ShouldNotBeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_service_sees_the_callers_role_from_the_gateway_token()
    {
        // The ping needs role admin at the orchestrator itself: only the gateway's token can have told it so.
        using var response = await fixture.Mesh.GatewayClient("admin").GetAsync("/diagnostics/ping/phase-worker");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldContain("\"to\":\"phase-worker\"");
    }

    [Fact]
    public async Task A_viewer_key_with_forged_admin_identity_is_still_a_viewer()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/templates") { Content = new StringContent("{}") };
        request.Headers.Add("X-Api-Key", fixture.Mesh.ApiKey("viewer"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IdentityTokens.Mint(fixture.Mesh.SigningKey, "orchestrator", "admin"));
        request.Headers.Add("X-RunMesh-Identity", "admin");

        using var response = await fixture.Mesh.GatewayClient(null).SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_signed_identity_token_is_not_an_api_key_at_the_gateway()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/templates");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IdentityTokens.Mint(fixture.Mesh.SigningKey, "orchestrator", "admin"));

        using var response = await fixture.Mesh.GatewayClient(null).SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    public static TheoryData<string> InvalidTokens() => ["none", "garbage", "expired", "other-audience", "other-key", "other-issuer", "too-long-lived", "not-yet-valid"];

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task A_direct_call_to_a_service_without_a_valid_gateway_token_is_401(string token)
    {
        using var otherKey = IdentityTokens.NewKey();
        var key = fixture.Mesh.SigningKey;
        var now = DateTimeOffset.UtcNow;
        var jwt = token switch
        {
            "none" => null,
            "garbage" => "not-a-token",
            "expired" => IdentityTokens.Mint(key, "orchestrator", issuedAt: now.AddMinutes(-5)),
            "other-audience" => IdentityTokens.Mint(key, "approval"),
            "other-key" => IdentityTokens.Mint(otherKey, "orchestrator"),
            "other-issuer" => IdentityTokens.Mint(key, "orchestrator", issuer: "someone-else"),
            "too-long-lived" => IdentityTokens.Mint(key, "orchestrator", lifetime: TimeSpan.FromHours(1)),
            "not-yet-valid" => IdentityTokens.Mint(key, "orchestrator", issuedAt: now.AddMinutes(5)),
            _ => throw new ArgumentOutOfRangeException(nameof(token)),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/templates");
        if (jwt is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        }

        using var response = await fixture.Mesh.Service("orchestrator").Http.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Theory]
    [InlineData("orchestrator")]
    [InlineData("approval")]
    [InlineData("report")]
    [InlineData("phase-worker")]
    public async Task A_direct_call_with_a_valid_gateway_token_is_accepted(string service)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/templates");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IdentityTokens.Mint(fixture.Mesh.SigningKey, service, "viewer"));

        using var response = await fixture.Mesh.Service(service).Http.SendAsync(request);

        response.StatusCode.ShouldNotBeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("viewer", HttpStatusCode.Forbidden)]
    [InlineData("approver", HttpStatusCode.Forbidden)]
    [InlineData("admin", HttpStatusCode.OK)]
    public async Task The_diagnostics_ping_needs_role_admin(string role, HttpStatusCode expected)
    {
        using var response = await fixture.Mesh.ServiceClient("orchestrator", role).GetAsync("/diagnostics/ping/report");

        response.StatusCode.ShouldBe(expected, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    [InlineData("/openapi/v1.json")]
    public async Task Health_metrics_and_openapi_stay_anonymous_on_every_service(string path)
    {
        // The mesh's own processes (not the extra gateways other tests start with a broken configuration).
        foreach (var service in fixture.Mesh.Services.Where(s => !s.Name.StartsWith("gateway-", StringComparison.Ordinal)))
        {
            using var response = await service.Http.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{service.Name} {path}");
        }
    }
}
