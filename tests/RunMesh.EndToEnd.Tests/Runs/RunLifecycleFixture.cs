using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>
/// A running mesh with one template per path of the run lifecycle (repair, retries, timeouts, budget, run timeout,
/// a slow phase), and the steps the lifecycle tests take through the gateway.
/// </summary>
public sealed class RunLifecycleFixture : IAsyncLifetime
{
    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("lifecycle");
        await Mesh.RegisterTemplatesAsync(s_templates);
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }

    /// <summary>A start body for <paramref name="template"/> with a feature no other run has.</summary>
    public static JsonObject StartBody(string template, JsonObject? options = null, Guid? parentRunId = null) =>
        MeshRuns.NewRunBody(template, options, parentRunId);

    /// <summary>Posts <paramref name="body"/> to <c>/api/runs</c> as the submitter.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> PostRunAsync(JsonObject body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await Mesh.GatewayClient("submitter").SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>Starts a run of <paramref name="template"/> and returns its id.</summary>
    public Task<Guid> StartRunAsync(string template, JsonObject? options = null, Guid? parentRunId = null) =>
        Mesh.StartRunAsync(template, options, parentRunId);

    /// <summary>The run as <c>GET /api/runs/{runId}</c> shows it.</summary>
    public Task<JsonObject> GetRunAsync(Guid runId) => Mesh.GetRunAsync(runId);

    /// <summary>Waits until the run's state is <paramref name="state"/> and returns the run.</summary>
    public Task<JsonObject> WaitForStateAsync(Guid runId, string state, int seconds = 90) => Mesh.WaitForRunStateAsync(runId, state, seconds);

    /// <summary>Every event of the run, in seq order.</summary>
    public Task<List<JsonObject>> EventsAsync(Guid runId) => Mesh.RunEventsAsync(runId);

    /// <summary>The types of the run's events, in seq order.</summary>
    public async Task<List<string>> EventTypesAsync(Guid runId) =>
        [.. (await EventsAsync(runId)).Select(e => e["type"]!.GetValue<string>())];

    /// <summary>A scalar over the orchestrator's own database.</summary>
    public Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters) => Mesh.ScalarAsync<T>("orchestrator", sql, parameters);

    public const string ThreePhases = "life-three@1";
    public const string NeverValid = "life-never-valid@1";
    public const string FlakyTwice = "life-flaky-twice@1";
    public const string Broken = "life-broken@1";
    public const string StuckOnce = "life-stuck-once@1";
    public const string StuckOnceThenSlow = "life-stuck-once-then-slow@1";
    public const string Costly = "life-costly@1";
    public const string SlowRun = "life-slow-run@1";
    public const string SlowPhase = "life-slow-phase@1";

    private static readonly string[] s_templates =
    [
        """
        name: life-three
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string } } }
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, minItems: 1, items: { type: string } } } }
          - key: review
            executor: mock
            settings: { invalidAttempts: 1 }
            instructions: "Review {{phases.spec.output}}"
            artifact:
              schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } }
          - key: summary
            executor: mock
            instructions: "Summarize {{phases.review.output}}"
            artifact:
              schema: { type: object, required: [text], properties: { text: { type: string } } }
        """,
        """
        name: life-never-valid
        version: 1
        phases:
          - key: spec
            executor: mock
            settings: { invalidAttempts: 99 }
            repairAttempts: 1
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title], properties: { title: { type: string } } }
        """,
        """
        name: life-flaky-twice
        version: 1
        phases:
          - key: spec
            executor: mock
            settings: { failAttempts: 2 }
            retry: { maxAttempts: 3, backoffSeconds: 0.2, backoffMultiplier: 2 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """,
        """
        name: life-broken
        version: 1
        phases:
          - key: spec
            executor: mock
            settings: { failAttempts: 99 }
            retry: { maxAttempts: 2, backoffSeconds: 0 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """,
        """
        name: life-stuck-once
        version: 1
        phases:
          - key: spec
            executor: mock
            settings: { hangAttempts: 1 }
            timeoutSeconds: 1
            retry: { maxAttempts: 2, backoffSeconds: 0 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """,
        """
        name: life-stuck-once-then-slow
        version: 1
        phases:
          - key: spec
            executor: mock
            settings: { hangAttempts: 1 }
            timeoutSeconds: 1
            retry: { maxAttempts: 2, backoffSeconds: 0 }
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object } }
          - key: build
            executor: mock
            settings: { latencyMs: 3000 }
            timeoutSeconds: 60
            instructions: "Build {{phases.spec.output}}"
            artifact: { schema: { type: object } }
        """,
        """
        name: life-costly
        version: 1
        budget: { maxTokens: 5 }
        phases:
          - key: spec
            executor: mock
            instructions: "Write a long and detailed specification for {{inputs.feature}}"
            artifact: { schema: { type: object, required: [title], properties: { title: { type: string } } } }
          - key: build
            executor: mock
            instructions: "Build {{phases.spec.output}}"
            artifact: { schema: { type: object } }
        """,
        TestTemplates.Slow("life-slow-run", runTimeoutSeconds: 2),
        """
        name: life-slow-phase
        version: 1
        phases:
          - key: slow
            executor: mock
            settings: { latencyMs: 4000 }
            timeoutSeconds: 60
            instructions: "Work slowly on {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """,
    ];
}
