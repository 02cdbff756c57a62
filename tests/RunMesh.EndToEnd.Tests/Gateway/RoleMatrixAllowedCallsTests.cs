using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// The approval and report rows of the role matrix with real resources behind them, so an allowed role is seen to get
/// the endpoint's 200 (not only "forwarded"): a finished run with its report and a pending approval request of another
/// run, both arranged once for the class (<see cref="RoleMatrixResources"/>). No key is a 401, a role below the route's a 403.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class RoleMatrixAllowedCallsTests(GatewayFixture fixture, RoleMatrixResources resources) : IClassFixture<RoleMatrixResources>
{
    private static readonly string?[] s_callers = [null, "viewer", "submitter", "approver", "admin"];

    /// <summary>
    /// method, path ({run} is the finished run, {request} the approval request, {requestRun} its run), the role it needs.
    /// The decision is always <c>approve</c>: the first allowed caller decides, the next gets the same decision again (200).
    /// </summary>
    private static readonly (string Method, string Path, string Role)[] s_endpoints =
    [
        ("GET", "/api/approvals?runId={requestRun}", "approver"),
        ("GET", "/api/approvals/{request}", "approver"),
        ("POST", "/api/approvals/{request}/decision", "approver"),
        ("GET", "/api/runs/{run}/report", "viewer"),
        ("GET", "/api/runs/{run}/report.md", "viewer"),
        ("GET", "/api/runs/{run}/manifest", "viewer"),
    ];

    public static TheoryData<string, string, string, string> Endpoints()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var (method, path, role) in s_endpoints)
        {
            foreach (var caller in s_callers)
            {
                data.Add(method, path, role, caller ?? "none");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Allowed_roles_get_the_endpoints_answer_and_the_others_401_or_403(string method, string path, string requiredRole, string caller)
    {
        var arranged = await resources.ArrangeOnceAsync(fixture.Mesh);
        var uri = path
            .Replace("{run}", arranged.FinishedRunId.ToString(), StringComparison.Ordinal)
            .Replace("{requestRun}", arranged.RequestRunId.ToString(), StringComparison.Ordinal)
            .Replace("{request}", arranged.RequestId.ToString(), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"action":"approve","comment":"role matrix"}""", Encoding.UTF8, "application/json");
        }

        using var response = await fixture.Mesh.GatewayClient(caller == "none" ? null : caller).SendAsync(request);

        if (caller == "none")
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
            return;
        }

        if (MeshHarness.Roles.ToList().IndexOf(caller) < MeshHarness.Roles.ToList().IndexOf(requiredRole))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            return;
        }

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        switch (path)
        {
            case "/api/approvals?runId={requestRun}":
                JsonNode.Parse(text)!["items"]!.AsArray().Select(item => item!["requestId"]!.GetValue<Guid>()).ShouldBe([arranged.RequestId]);
                break;
            case "/api/approvals/{request}":
                var shown = JsonNode.Parse(text)!;
                shown["requestId"]!.GetValue<Guid>().ShouldBe(arranged.RequestId);
                shown["runId"]!.GetValue<Guid>().ShouldBe(arranged.RequestRunId);
                shown["state"]!.GetValue<string>().ShouldBeOneOf("pending", "approved");
                break;
            case "/api/approvals/{request}/decision":
                var decided = JsonNode.Parse(text)!;
                decided["requestId"]!.GetValue<Guid>().ShouldBe(arranged.RequestId);
                decided["state"]!.GetValue<string>().ShouldBe("approved");
                decided["decision"]!["action"]!.GetValue<string>().ShouldBe("approve");
                break;
            case "/api/runs/{run}/report":
                var report = JsonNode.Parse(text)!;
                report["runId"]!.GetValue<Guid>().ShouldBe(arranged.FinishedRunId);
                report["state"]!.GetValue<string>().ShouldBe("completed");
                report["manifestDigest"]!.GetValue<string>().ShouldBe(arranged.ManifestDigest);
                break;
            case "/api/runs/{run}/report.md":
                response.Content.Headers.ContentType!.MediaType.ShouldBe("text/markdown");
                text.ShouldStartWith($"# Run {arranged.FinishedRunId}: completed\n");
                break;
            case "/api/runs/{run}/manifest":
                var manifest = JsonNode.Parse(text)!;
                manifest["manifestDigest"]!.GetValue<string>().ShouldBe(arranged.ManifestDigest);
                manifest["manifest"]!["runId"]!.GetValue<Guid>().ShouldBe(arranged.FinishedRunId);
                break;
            default:
                throw new InvalidOperationException($"No check for {path}.");
        }
    }
}

/// <summary>
/// Arranged once for <see cref="RoleMatrixAllowedCallsTests"/> on the gateway tests' mesh: a gated run approved to its
/// end with its report written, and another gated run whose request is pending when the tests start.
/// </summary>
public sealed class RoleMatrixResources
{
    private static readonly string s_gatedTemplate = TestTemplates.Gated("role-matrix-gated");

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    private readonly Lock _lock = new();
    private Task<Arranged>? _arranged;

    /// <summary>The finished run, its report's manifest digest, and the approval request with its run.</summary>
    public sealed record Arranged(Guid FinishedRunId, string ManifestDigest, Guid RequestId, Guid RequestRunId);

    /// <summary>Arranges the resources on the first call; later calls answer the same ones.</summary>
    public Task<Arranged> ArrangeOnceAsync(MeshHarness mesh)
    {
        lock (_lock)
        {
            return _arranged ??= ArrangeAsync(mesh);
        }
    }

    private static async Task<Arranged> ArrangeAsync(MeshHarness mesh)
    {
        await mesh.RegisterTemplatesAsync(s_gatedTemplate);
        var finishedRun = await mesh.StartRunAsync("role-matrix-gated@1");
        var requestRun = await mesh.StartRunAsync("role-matrix-gated@1");

        using (var approve = await mesh.GatewayClient("approver").PostAsJsonAsync(
            $"/api/approvals/{await PendingRequestAsync(mesh, finishedRun)}/decision", new JsonObject { ["action"] = "approve" }))
        {
            approve.StatusCode.ShouldBe(HttpStatusCode.OK, await approve.Content.ReadAsStringAsync());
        }

        await mesh.WaitForRunStateAsync(finishedRun, "completed");
        var viewer = mesh.GatewayClient("viewer");
        var manifest = await Eventually.UntilAsync(
            async () =>
            {
                using var response = await viewer.GetAsync($"/api/runs/{finishedRun}/manifest");
                return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            },
            body => body is not null,
            s_timeout, $"the report of run {finishedRun}", () => mesh.LogTails(20));
        var requestId = await PendingRequestAsync(mesh, requestRun);
        return new Arranged(finishedRun, manifest!["manifestDigest"]!.GetValue<string>(), requestId, requestRun);
    }

    private static async Task<Guid> PendingRequestAsync(MeshHarness mesh, Guid runId)
    {
        var approver = mesh.GatewayClient("approver");
        var items = await Eventually.UntilAsync(
            async () => (await approver.GetFromJsonAsync<JsonObject>($"/api/approvals?runId={runId}&state=pending"))!["items"]!.AsArray(),
            pending => pending.Count > 0,
            s_timeout, $"a pending approval request for run {runId}", () => mesh.LogTails(20));
        return items.ShouldHaveSingleItem()!["requestId"]!.GetValue<Guid>();
    }
}
