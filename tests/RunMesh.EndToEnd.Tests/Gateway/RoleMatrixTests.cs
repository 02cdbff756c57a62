using System.Net;
using System.Text;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// Every routed endpoint × every caller (no key and each role): 401 without a key, 403 below the route's role,
/// and otherwise the request passes the gateway and reaches the route's service (seen in that service's request log).
/// The ids are fresh, so an allowed call usually gets the service's own answer for an unknown resource (e.g. a 404
/// <c>run_not_found</c>); <see cref="RoleMatrixAllowedCallsTests"/> checks the 200s of the approval and report endpoints
/// with a real run, report and approval request. Each issue that brings endpoints adds its rows to <see cref="Endpoints"/>.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class RoleMatrixTests(GatewayFixture fixture)
{
    private static readonly string?[] s_callers = [null, "viewer", "submitter", "approver", "admin"];

    /// <summary>method, path ({id} is replaced by a fresh id), the service it routes to, the role it needs.</summary>
    private static readonly (string Method, string Path, string Service, string Role)[] s_endpoints =
    [
        ("POST", "/api/templates", "orchestrator", "admin"),
        ("GET", "/api/templates", "orchestrator", "viewer"),
        ("GET", "/api/templates/spec-review/1", "orchestrator", "viewer"),
        ("POST", "/api/runs", "orchestrator", "submitter"),
        ("GET", "/api/runs", "orchestrator", "viewer"),
        ("GET", "/api/runs/{id}", "orchestrator", "viewer"),
        ("GET", "/api/runs/{id}/events", "orchestrator", "viewer"),
        ("GET", "/api/runs/{id}/events/stream", "orchestrator", "viewer"),
        ("GET", "/api/runs/{id}/artifacts/spec", "orchestrator", "viewer"),
        ("POST", "/api/runs/{id}/cancel", "orchestrator", "submitter"),
        ("POST", "/api/runs/{id}/retry", "orchestrator", "submitter"),
        ("GET", "/api/runs/{id}/report", "report", "viewer"),
        ("GET", "/api/runs/{id}/report.md", "report", "viewer"),
        ("GET", "/api/runs/{id}/manifest", "report", "viewer"),
        ("GET", "/api/approvals", "approval", "approver"),
        ("GET", "/api/approvals/{id}", "approval", "approver"),
        ("POST", "/api/approvals/{id}/decision", "approval", "approver"),
        ("GET", "/diagnostics/ping/phase-worker", "orchestrator", "admin"),
    ];

    public static TheoryData<string, string, string, string, string> Endpoints()
    {
        var data = new TheoryData<string, string, string, string, string>();
        foreach (var (method, path, service, role) in s_endpoints)
        {
            foreach (var caller in s_callers)
            {
                data.Add(method, path, service, role, caller ?? "none");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Gateway_enforces_the_route_role_and_forwards_allowed_calls_to_the_service(
        string method, string path, string service, string requiredRole, string caller)
    {
        var probe = Guid.NewGuid().ToString("N");
        var uri = $"{path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)}?probe={probe}";
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (method == "POST")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        var client = fixture.Mesh.GatewayClient(caller == "none" ? null : caller);
        using var response = await client.SendAsync(request);

        if (caller == "none")
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
            response.Headers.WwwAuthenticate.ShouldNotBeEmpty();
        }
        else if (MeshHarness.Roles.ToList().IndexOf(caller) < MeshHarness.Roles.ToList().IndexOf(requiredRole))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }
        else
        {
            response.StatusCode.ShouldNotBeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
            // Not an answer the gateway made itself (a service's own problem, e.g. run_not_found, is fine).
            (await Responses.ProblemCodeAsync(response)).ShouldNotBeOneOf("unauthenticated", "forbidden", "bad_gateway", "service_unavailable", "rate_limited");
            var target = fixture.Mesh.Service(service);
            await Eventually.UntilAsync(
                () => Task.FromResult(target.LogContains(probe)),
                TimeSpan.FromSeconds(10),
                $"{method} {path} to reach {service}",
                () => target.LogTail(10));
        }
    }

    [Fact]
    public async Task An_api_key_is_also_accepted_as_a_bearer_token()
    {
        using var response = await fixture.Mesh.GatewayClient("viewer", asBearer: true).GetAsync("/api/templates");

        response.StatusCode.ShouldNotBeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_unknown_api_key_is_refused_with_401()
    {
        using var client = new HttpClient { BaseAddress = fixture.Mesh.Gateway.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", "rm_admin_not-a-key-we-issued");

        using var response = await client.GetAsync("/api/templates");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
        (await response.Content.ReadAsStringAsync()).ShouldNotContain("not-a-key-we-issued");
    }

    [Fact]
    public async Task An_unrouted_path_is_a_404_problem()
    {
        using var response = await fixture.Mesh.GatewayClient("admin").GetAsync("/api/nothing-here");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }
}
