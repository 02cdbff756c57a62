using System.Net;
using System.Text;
using System.Text.Json;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// Every routed endpoint × every caller (no key and each role): 401 without a key, 403 below the route's role,
/// and otherwise the request passes the gateway and reaches the route's service (seen in that service's request log).
/// The probe that finds the request in the log is a query parameter no endpoint takes, so an allowed call to the API
/// gets the service's own refusal of it (400 <c>invalid_request</c> naming <c>probe</c>);
/// <see cref="RoleMatrixAllowedCallsTests"/> checks the 200s of the approval and report endpoints with a real run,
/// report and approval request. Each issue that brings endpoints adds its rows to <see cref="Endpoints"/>.
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
            if (path.StartsWith("/api/", StringComparison.Ordinal))
            {
                await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
                (await response.Content.ReadAsStringAsync()).ShouldContain("Query parameter 'probe' is not known here.");
            }
        }
    }

    public static TheoryData<string, string, string, string?> UnknownQueryParameters => new()
    {
        // path ({id}: a fresh id), role, the parameter the endpoint does not take, the one it suggests
        { "/api/runs?status=running", "viewer", "status", "state" },
        { "/api/runs/{id}/events?afterr=3", "viewer", "afterr", "after" },
        { "/api/runs/{id}/artifacts/spec?attemp=1", "viewer", "attemp", "attempt" },
        { "/api/templates?foo=1", "viewer", "foo", null },
        { "/api/approvals?status=pending", "approver", "status", "state" },
        { "/api/studies?sate=running", "viewer", "sate", "state" },
        { "/api/studies/{id}/runs?format=csv", "viewer", "format", null },
        { "/api/runs/{id}/report?generaton=1", "viewer", "generaton", "generation" },
        { "/api/runs/{id}/manifest?foo=1", "viewer", "foo", null },
    };

    [Theory]
    [MemberData(nameof(UnknownQueryParameters))]
    public async Task A_query_parameter_the_endpoint_does_not_take_is_refused_naming_it(string path, string role, string parameter, string? suggested)
    {
        using var response = await fixture.Mesh.GatewayClient(role).GetAsync(path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        detail.ShouldStartWith(suggested is null
            ? $"Query parameter '{parameter}' is not known here."
            : $"Query parameter '{parameter}' (did you mean '{suggested}'?) is not known here.");
    }

    public static TheoryData<string, string?> GetRoutes => new()
    {
        // path ({id}: a fresh id), role (null: anonymous)
        { "/api/runs", "viewer" },
        { "/api/runs/{id}", "viewer" },
        { "/api/runs/{id}/events", "viewer" },
        { "/api/runs/{id}/report", "viewer" },
        { "/api/templates", "viewer" },
        { "/api/templates/spec-review/1", "viewer" },
        { "/api/approvals", "approver" },
        { "/api/studies", "viewer" },
        { "/api/templates/nc-blog", "viewer" },
        { "/openapi/gateway.json", null },
        { "/openapi/orchestrator.json", null },
        { "/health/ready", null },
    };

    [Theory]
    [MemberData(nameof(GetRoutes))]
    public async Task Head_answers_what_get_answers_without_the_body(string path, string? role)
    {
        var uri = path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        var client = role is null ? new HttpClient { BaseAddress = fixture.Mesh.Gateway.BaseAddress } : fixture.Mesh.GatewayClient(role);

        using var get = await client.GetAsync(uri);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, uri));

        head.StatusCode.ShouldBe(get.StatusCode, $"HEAD {uri}");
        head.Content.Headers.ContentType?.MediaType.ShouldBe(get.Content.Headers.ContentType?.MediaType, $"HEAD {uri}");
        (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        (await get.Content.ReadAsByteArrayAsync()).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_path_a_service_does_not_have_is_a_404_problem_naming_it()
    {
        using var response = await fixture.Mesh.GatewayClient("viewer").GetAsync("/api/templates/nc-blog");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()
            .ShouldBe("There is no endpoint at GET /api/templates/nc-blog.");
    }

    [Fact]
    public async Task A_method_a_path_does_not_take_is_a_405_problem()
    {
        using var response = await fixture.Mesh.GatewayClient("viewer").GetAsync($"/api/runs/{Guid.NewGuid()}/cancel");

        await response.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
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
