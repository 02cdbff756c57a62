using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RunMesh.Reliability.Tests.Invariants;
using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.HostileInput;

/// <summary>
/// The hostile-input table (docs/reliability.md) through the gateway: every request is a 4xx <c>application/problem+json</c>
/// (never a 5xx), writes no row in any service's tables, and leaves every service ready.
/// </summary>
public sealed class HostileInputTests(HostileInputTests.PreparedMesh fixture, ITestOutputHelper output) : IClassFixture<HostileInputTests.PreparedMesh>
{
    private static readonly (string Service, string Table)[] s_tables =
    [
        ("orchestrator", "templates"), ("orchestrator", "runs"), ("orchestrator", "run_events"), ("orchestrator", "run_artifacts"),
        ("orchestrator", "artifact_blobs"), ("orchestrator", "idempotency_keys"), ("orchestrator", "input_bundle_claims"),
        ("orchestrator", "run_aliases"), ("orchestrator", "outbox_message"), ("approval", "approval_requests"), ("report", "reports"),
    ];

    [Fact]
    public async Task Every_hostile_request_is_a_4xx_problem_that_writes_nothing_and_leaves_the_mesh_healthy()
    {
        var clock = Stopwatch.StartNew();
        var mesh = fixture.Mesh;
        HostileRequests.All.Count.ShouldBeGreaterThanOrEqualTo(40);
        var rowsBefore = await CountRowsAsync();
        var decidedBefore = await DecisionsAsync();

        var failures = new List<string>();
        foreach (var hostile in HostileRequests.All)
        {
            var (status, contentType, body) = await SendAsync(hostile);
            var expected = hostile.Status is { } exact ? status == exact : status is >= 400 and < 500;
            if (!expected || contentType != "application/problem+json" || (hostile.Mentions is { } mention && !body.Contains(mention, StringComparison.Ordinal)))
            {
                failures.Add($"{hostile.Name}: {status} {contentType} {(body.Length > 300 ? body[..300] : body)}");
            }
        }

        var rowsAfter = await CountRowsAsync();
        var decidedAfter = await DecisionsAsync();
        ReliabilitySummary.Record(output, "hostile input table", badInputs: HostileRequests.All.Count, duration: clock.Elapsed,
            extra: $"{failures.Count} answered wrongly");
        failures.ShouldBeEmpty(string.Join(Environment.NewLine, failures));
        rowsAfter.ShouldBe(rowsBefore, "no hostile request wrote a row");
        decidedAfter.ShouldBe(decidedBefore, "no decision changed");
        foreach (var service in mesh.Services)
        {
            (await service.ReadyAsync()).ShouldBeTrue($"{service.Name} is still ready");
        }
    }

    private async Task<(int Status, string? ContentType, string Body)> SendAsync(HostileRequest hostile)
    {
        var path = hostile.Path
            .Replace("{completedRun}", fixture.CompletedRun.ToString(), StringComparison.Ordinal)
            .Replace("{failedRun}", fixture.FailedRun.ToString(), StringComparison.Ordinal)
            .Replace("{decidedRequest}", fixture.DecidedRequest.ToString(), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), path);
        if (hostile.Body is not null)
        {
            request.Content = new ByteArrayContent(hostile.Body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(hostile.ContentType);
        }

        using var response = await fixture.Client(hostile.Role).SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private async Task<Dictionary<string, long>> CountRowsAsync()
    {
        var counts = new Dictionary<string, long>();
        foreach (var (service, table) in s_tables)
        {
            counts[$"{service}.{table}"] = await fixture.Mesh.ScalarAsync<long>(service, $"SELECT count(*) FROM {table}");
        }

        return counts;
    }

    private Task<string> DecisionsAsync() =>
        fixture.Mesh.ScalarAsync<string>("approval", "SELECT string_agg(request_id::text || ':' || state || ':' || coalesce(decided_at::text, ''), ',' ORDER BY request_id) FROM approval_requests");

    /// <summary>A mesh with a completed run, a failed run and an approved request to aim the bad transitions at.</summary>
    public sealed class PreparedMesh : IAsyncLifetime
    {
        private readonly Dictionary<string, HttpClient> _clients = [];
        private MeshHarness? _mesh;

        public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

        public Guid CompletedRun { get; private set; }

        public Guid FailedRun { get; private set; }

        public Guid DecidedRequest { get; private set; }

        public HttpClient Client(string role)
        {
            if (!_clients.TryGetValue(role, out var client))
            {
                _clients[role] = client = Mesh.GatewayClient(role);
            }

            return client;
        }

        public async Task InitializeAsync()
        {
            _mesh = await ReliabilityMesh.StartAsync("relhostile");
            await Mesh.RegisterTemplatesAsync([HostileRequests.WideTemplate, HostileRequests.BacktrackingPatternTemplate]);
            var driver = new LoadDriver(Mesh);
            var gated = await driver.StartAsync(ReliabilityTemplates.Gated);
            var failed = await driver.StartAsync(ReliabilityTemplates.Failing);
            CompletedRun = gated.RunId;
            FailedRun = failed.RunId;

            var approver = Client("approver");
            JsonObject? pending = null;
            await Eventually.UntilAsync(
                async () => (pending = (await approver.GetFromJsonAsync<JsonObject>($"/api/approvals?state=pending&runId={gated.RunId}"))!)["items"]!.AsArray().Count == 1,
                TimeSpan.FromSeconds(90), "the gated run's approval request", () => Mesh.LogTails(15));
            DecidedRequest = Guid.Parse(pending!["items"]![0]!["requestId"]!.GetValue<string>());
            using var decision = await approver.PostAsJsonAsync($"/api/approvals/{DecidedRequest}/decision", new JsonObject { ["action"] = "approve" });
            decision.EnsureSuccessStatusCode();

            await driver.WaitUntilSettledAsync([gated, failed], TimeSpan.FromSeconds(120));
            (await Mesh.GetRunAsync(FailedRun))["state"]!.GetValue<string>().ShouldBe("failed");
        }

        public async Task DisposeAsync()
        {
            if (_mesh is not null)
            {
                await _mesh.DisposeAsync();
            }
        }
    }
}
