using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace RunMesh.EndToEnd.Tests.Approvals;

/// <summary>The approval tests share one mesh and run one after another (one of them restarts the approval service).</summary>
[CollectionDefinition(Name)]
public sealed class ApprovalsMesh : ICollectionFixture<ApprovalsFixture>
{
    public const string Name = "approvals mesh";
}

/// <summary>A running mesh with gated templates, and the steps approval tests take through the gateway.</summary>
public sealed class ApprovalsFixture : IAsyncLifetime
{
    /// <summary>Two phases; the first stops at gate <c>spec-approval</c>.</summary>
    public const string Gated = "gated@1";

    /// <summary>One phase whose gate expires after 5 s.</summary>
    public const string Expiring = "gated-expiring@1";

    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("approvals");
        await Mesh.RegisterTemplatesAsync(GatedTemplate, ExpiringTemplate);
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }

    /// <summary>Starts a run of <paramref name="template"/> with a feature no other run has, and returns its id.</summary>
    public Task<Guid> StartRunAsync(string template) => Mesh.StartRunAsync(template);

    /// <summary>Waits until the run's API state is <paramref name="state"/> (e.g. <c>awaitingApproval</c>) and returns the run.</summary>
    public Task<JsonObject> WaitForRunStateAsync(Guid runId, string state) => Mesh.WaitForRunStateAsync(runId, state);

    /// <summary>The requests of <paramref name="runId"/> in <paramref name="state"/> (all states when null), oldest first.</summary>
    public async Task<List<JsonObject>> ApprovalsOfAsync(Guid runId, string? state = null)
    {
        var query = $"/api/approvals?runId={runId}" + (state is null ? "" : $"&state={state}");
        using var response = await Mesh.GatewayClient("approver").GetAsync(query);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return [.. JsonNode.Parse(text)!["items"]!.AsArray().Select(item => item!.AsObject())];
    }

    /// <summary><c>GET /api/approvals/{requestId}</c> through the gateway as the approver; the request must be found (200).</summary>
    public async Task<JsonObject> GetApprovalAsync(Guid requestId)
    {
        using var response = await Mesh.GatewayClient("approver").GetAsync($"/api/approvals/{requestId}");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json", text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Waits for the run's pending request (exactly one) and returns it.</summary>
    public async Task<JsonObject> WaitForPendingApprovalAsync(Guid runId, int seconds = 60)
    {
        List<JsonObject> pending = [];
        await Eventually.UntilAsync(
            async () => (pending = await ApprovalsOfAsync(runId, "pending")).Count > 0,
            TimeSpan.FromSeconds(seconds),
            $"a pending approval request for run {runId}",
            () => Mesh.LogTails(20));
        pending.Count.ShouldBe(1);
        return pending[0];
    }

    /// <summary>Waits until request <paramref name="requestId"/> is in <paramref name="state"/>.</summary>
    public async Task WaitForApprovalStateAsync(Guid runId, Guid requestId, string state, int seconds = 30)
    {
        List<JsonObject> all = [];
        await Eventually.UntilAsync(
            async () => (all = await ApprovalsOfAsync(runId)).Any(r => IdOf(r) == requestId && r["state"]!.GetValue<string>() == state),
            TimeSpan.FromSeconds(seconds),
            $"approval request {requestId} to be {state}",
            () => $"requests: {string.Join(", ", all.Select(r => r.ToJsonString()))}{Environment.NewLine}{Mesh.LogTails(20)}");
    }

    /// <summary>
    /// Waits until the gateway routes to the approval service again (after a restart its active health check needs a
    /// probe or two to take the destination back).
    /// </summary>
    public Task WaitUntilApprovalsAreRoutedAsync() =>
        Eventually.UntilAsync(
            async () =>
            {
                using var response = await Mesh.GatewayClient("approver").GetAsync("/api/approvals?limit=1");
                return response.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(60), "the gateway to route /api/approvals to the approval service", () => Mesh.Gateway.LogTail(10));

    /// <summary>Posts a decision as the approver (or <paramref name="role"/>).</summary>
    public async Task<HttpResponseMessage> DecideAsync(Guid requestId, string action, string? comment = null, string role = "approver")
    {
        var body = new JsonObject { ["action"] = action };
        if (comment is not null)
        {
            body["comment"] = comment;
        }

        return await Mesh.GatewayClient(role).PostAsJsonAsync($"/api/approvals/{requestId}/decision", body);
    }

    public static Guid IdOf(JsonObject request) => Guid.Parse(request["requestId"]!.GetValue<string>());

    /// <summary>The run's events of <paramref name="type"/>, from the orchestrator's event log over REST.</summary>
    public async Task<List<JsonObject>> EventsOfAsync(Guid runId, string type) =>
        [.. (await Mesh.RunEventsAsync(runId)).Where(e => e["type"]!.GetValue<string>() == type)];

    /// <summary>A count over the approval service's own database.</summary>
    public Task<long> CountApprovalRowsAsync(string sql, params (string Name, object Value)[] parameters) =>
        Mesh.ScalarAsync<long>("approval", sql, parameters);

    private const string GatedTemplate = """
        name: gated
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string } } }
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, items: { type: string } } } }
            gates: [spec-approval]
          - key: build
            executor: mock
            instructions: "Build {{phases.spec.output}}"
            artifact: { schema: { type: object } }
        """;

    private const string ExpiringTemplate = """
        name: gated-expiring
        version: 1
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object } }
            gates: [{ name: quick, expiresAfterSeconds: 5 }]
        """;
}
