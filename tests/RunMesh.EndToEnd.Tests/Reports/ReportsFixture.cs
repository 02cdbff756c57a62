using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using RabbitMQ.Client;
using RunMesh.Contracts;

namespace RunMesh.EndToEnd.Tests.Reports;

/// <summary>
/// One mesh for the report tests, with templates that complete, fail once (then succeed on retry), run slowly
/// (to be cancelled) and stop at a gate (to be aborted), plus what the tests read: runs over REST, report rows in the report service's database, the
/// <c>report.ready</c> events the orchestrator recorded, and raw AMQP publishing of <see cref="RunFinished"/>.
/// </summary>
public sealed class ReportsFixture : IAsyncLifetime
{
    public const string Quick = "reports-quick@1";
    public const string Flaky = "reports-flaky@1";
    public const string Slow = "reports-slow@1";
    public const string Paced = "reports-paced@1";

    /// <summary>One phase that stops at gate <c>sign-off</c> (for runs an approver aborts).</summary>
    public const string Gated = "reports-gated@1";

    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(60);

    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public HttpClient Viewer => Mesh.GatewayClient("viewer");

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("reports");
        await Mesh.RegisterTemplatesAsync(QuickTemplate, s_flakyTemplate, s_slowTemplate, PacedTemplate, s_gatedTemplate);
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }

    /// <summary>Starts a run of <paramref name="template"/> through the gateway (a fresh feature, so never deduplicated).</summary>
    public Task<Guid> StartAsync(string template) => Mesh.StartRunAsync(template);

    /// <summary><c>GET /api/runs/{runId}</c> through the gateway (viewer).</summary>
    public Task<JsonObject> RunAsync(Guid runId) => Mesh.GetRunAsync(runId);

    /// <summary>Waits until the run, read over REST, is in <paramref name="state"/> (its JSON name).</summary>
    public Task<JsonObject> WaitForStateAsync(Guid runId, string state, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () => RunAsync(runId),
            run => run["state"]?.GetValue<string>() == state,
            timeout ?? s_runTimeout,
            $"run {runId} to be {state}",
            () => Mesh.LogTails(20));

    /// <summary>
    /// Waits until <c>GET /api/runs/{runId}</c> shows a <c>reportUrl</c> and the orchestrator recorded
    /// <c>report.ready</c> for <paramref name="generation"/>; answers the run.
    /// </summary>
    public async Task<JsonObject> WaitForReportUrlAsync(Guid runId, int generation = 1, TimeSpan? timeout = null)
    {
        var run = await Eventually.UntilAsync(
            async () => (Run: await RunAsync(runId), Digest: await ReportReadyDigestAsync(runId, generation)),
            seen => seen.Run["reportUrl"] is not null && seen.Digest is not null,
            timeout ?? s_runTimeout,
            $"run {runId} to show its report of generation {generation}",
            () => Mesh.LogTails(20));
        return run.Run;
    }

    /// <summary>Waits until the run has a pending approval request (exactly one) and returns its id, as an approver sees it.</summary>
    public async Task<Guid> WaitForPendingApprovalAsync(Guid runId)
    {
        var approver = Mesh.GatewayClient("approver");
        var items = await Eventually.UntilAsync(
            async () => (await approver.GetFromJsonAsync<JsonObject>($"/api/approvals?runId={runId}&state=pending"))!["items"]!.AsArray(),
            pending => pending.Count > 0,
            s_runTimeout,
            $"a pending approval request for run {runId}",
            () => Mesh.LogTails(20));
        return Guid.Parse(items.ShouldHaveSingleItem()!["requestId"]!.GetValue<string>());
    }

    /// <summary>The manifest digest the orchestrator received in <see cref="ReportReady"/> (its <c>report.ready</c> event).</summary>
    public Task<string?> ReportReadyDigestAsync(Guid runId, int generation) =>
        Mesh.ScalarAsync<string?>(
            "orchestrator",
            "SELECT payload->>'manifestDigest' FROM run_events WHERE run_id = @id AND type = 'report.ready' AND (payload->>'generation')::int = @generation",
            ("id", runId), ("generation", generation));

    /// <summary>The report rows of a run in the report service's database, by generation.</summary>
    public async Task<IReadOnlyList<StoredRow>> ReportRowsAsync(Guid runId)
    {
        await using var connection = await Mesh.DatabaseOf("report").OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT generation, state, manifest_digest, manifest::text FROM reports WHERE run_id = @id ORDER BY generation", connection);
        command.Parameters.AddWithValue("id", runId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<StoredRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredRow(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return rows;
    }

    /// <summary>Waits until the report service stored a report for every generation up to <paramref name="generation"/>.</summary>
    public Task<IReadOnlyList<StoredRow>> WaitForRowsAsync(Guid runId, int generation = 1) =>
        Eventually.UntilAsync(
            () => ReportRowsAsync(runId),
            rows => rows.Any(r => r.Generation == generation),
            s_runTimeout,
            $"a report row of run {runId} generation {generation}",
            () => Mesh.Service("report").LogTail(30));

    /// <summary>One scalar from the report service's database.</summary>
    public Task<long> CountInReportDatabaseAsync(string sql, params (string Name, object Value)[] parameters) =>
        Mesh.ScalarAsync<long>("report", sql, parameters);

    /// <summary>
    /// Publishes <paramref name="finished"/> as another system (or a redelivering orchestrator) would: MassTransit's JSON
    /// envelope over raw AMQP to the <c>RunMesh.Contracts:RunFinished</c> exchange, with <paramref name="messageId"/>.
    /// </summary>
    public async Task PublishAsync(RunFinished finished, Guid messageId)
    {
        var envelope = new JsonObject
        {
            ["messageId"] = messageId.ToString(),
            ["messageType"] = new JsonArray("urn:message:RunMesh.Contracts:RunFinished"),
            ["message"] = JsonSerializer.SerializeToNode(finished, JsonSerializerOptions.Web),
        };
        var factory = new ConnectionFactory { Uri = Mesh.Broker.AmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, MessageId = messageId.ToString() };
        await channel.BasicPublishAsync("RunMesh.Contracts:RunFinished", "", mandatory: true, properties, Encoding.UTF8.GetBytes(envelope.ToJsonString()));
    }

    /// <summary>A terminal run as the orchestrator would announce it, for runs the tests make up.</summary>
    public static RunFinished Finished(Guid runId, RunState state, Guid? parentRunId = null, int generation = 1)
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-2);
        return new RunFinished
        {
            RunId = runId,
            Generation = generation,
            State = state,
            Error = state == RunState.Completed ? null : new RunError { Code = ErrorCodes.ApprovalAborted, Message = "aborted at the gate", PhaseKey = "spec" },
            Template = new TemplateRef { Name = "made-up", Version = 1, Hash = RunMesh.Hashing.Digest.OfJson("""{"made":"up"}""") },
            InputBundleHash = RunMesh.Hashing.Digest.OfJson($$"""{"run":"{{runId}}"}"""),
            Inputs = new JsonObject { ["feature"] = "made up" },
            ParentRunId = parentRunId,
            Depth = parentRunId is null ? 0 : 1,
            Phases =
            [
                new PhaseSummary
                {
                    Key = "spec",
                    State = state == RunState.Completed ? PhaseState.Completed : PhaseState.Cancelled,
                    InstructionsDigest = RunMesh.Hashing.Digest.OfJson("\"spec\""),
                    SchemaDigest = RunMesh.Hashing.Digest.OfJson("{}"),
                    Attempts =
                    [
                        new AttemptSummary
                        {
                            Attempt = 1,
                            ExecutionId = Guid.NewGuid(),
                            Outcome = AttemptOutcome.Succeeded,
                            StartedAt = start,
                            EndedAt = start.AddMilliseconds(300),
                            Usage = new Usage { InputTokens = 3, OutputTokens = 5, CostUsd = 0.00001m },
                        },
                    ],
                },
            ],
            StartedAt = start,
            EndedAt = start.AddSeconds(1),
            TotalUsage = new Usage { InputTokens = 3, OutputTokens = 5, CostUsd = 0.00001m },
        };
    }

    private const string QuickTemplate = """
        name: reports-quick
        version: 1
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title], properties: { title: { type: string } } }
          - key: review
            executor: mock
            settings: { invalidAttempts: 1 }
            instructions: "Review {{phases.spec.output}}"
            artifact:
              schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } }
        """;

    private static readonly string s_flakyTemplate = TestTemplates.FailingSecondPhase("reports-flaky");

    private static readonly string s_slowTemplate = TestTemplates.Slow("reports-slow");

    private static readonly string s_gatedTemplate = TestTemplates.Gated("reports-gated");

    private const string PacedTemplate = """
        name: reports-paced
        version: 1
        phases:
          - key: step
            executor: mock
            settings: { latencyMs: 1500 }
            instructions: "Pace {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """;
}

/// <summary>A stored report row: generation, state, manifest digest and the manifest's JSON text as stored.</summary>
public sealed record StoredRow(int Generation, string State, string ManifestDigest, string Manifest);

[CollectionDefinition(Name)]
public sealed class ReportsMesh : ICollectionFixture<ReportsFixture>
{
    public const string Name = "reports";
}
