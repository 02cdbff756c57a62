using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.EndToEnd.Tests.ChildRuns;

namespace RunMesh.EndToEnd.Tests.Studies;

/// <summary>A mesh of its own (its planner is killed by one test) with the templates the study tests run and the webhook one of them calls.</summary>
public sealed class StudiesFixture : IAsyncLifetime
{
    public const string Echo = "study-echo@1";
    public const string Slow = "study-slow@1";
    public const string Hook = "study-hook@1";

    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public ChildWebhook Webhook { get; } = new();

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("studies");
        await Mesh.RegisterTemplatesAsync(EchoTemplate, SlowTemplate, HookTemplate(Webhook.Address));
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }

        Webhook.Dispose();
    }

    /// <summary>POSTs <paramref name="definition"/> (YAML) to <c>/api/studies</c> as the submitter.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> SubmitAsync(string definition, bool dryRun = false)
    {
        using var response = await Mesh.GatewayClient("submitter").PostAsync(
            dryRun ? "/api/studies?dryRun=true" : "/api/studies", new StringContent(definition, Encoding.UTF8, "application/yaml"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>Starts <paramref name="definition"/> (202 expected) and returns the study id.</summary>
    public async Task<Guid> StartAsync(string definition)
    {
        var (status, body) = await SubmitAsync(definition);
        status.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        return Guid.Parse(body["studyId"]!.GetValue<string>());
    }

    public async Task<JsonObject> GetAsync(Guid studyId)
    {
        using var response = await Mesh.GatewayClient("viewer").GetAsync($"/api/studies/{studyId}");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Waits until the study's state (JSON name) is <paramref name="state"/> and returns it.</summary>
    public async Task<JsonObject> WaitForStateAsync(Guid studyId, string state, int seconds = 120)
    {
        JsonObject? study = null;
        await Eventually.UntilAsync(async () => (study = await GetAsync(studyId))["state"]!.GetValue<string>() == state,
            TimeSpan.FromSeconds(seconds), $"study {studyId} to be {state}", () => $"{study?.ToJsonString()}{Environment.NewLine}{Mesh.LogTails(20)}");
        return study!;
    }

    /// <summary>The study's runs as the orchestrator lists them (<c>GET /api/runs?label=studyId:…</c>).</summary>
    public async Task<List<JsonObject>> RunsOfAsync(Guid studyId)
    {
        using var response = await Mesh.GatewayClient("viewer").GetAsync($"/api/runs?label=studyId:{studyId}&limit=200");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return [.. JsonNode.Parse(text)!["items"]!.AsArray().Select(r => r!.AsObject())];
    }

    private const string EchoTemplate = """
        name: study-echo
        version: 1
        inputs: { schema: { type: object, required: [topic], properties: { topic: { type: string }, tone: { type: string, enum: [formal, casual, dry] } } } }
        phases:
          - key: write
            executor: mock
            settings: { latencyMs: 300 }
            instructions: "Write about {{inputs.topic}} in a {{inputs.tone}} tone"
            artifact: { schema: { type: object, required: [text], properties: { text: { type: string } } } }
        """;

    private const string SlowTemplate = """
        name: study-slow
        version: 1
        inputs: { schema: { type: object, required: [topic], properties: { topic: { type: string }, n: { type: integer } } } }
        phases:
          - key: wait
            executor: mock
            settings: { latencyMs: 60000 }
            timeoutSeconds: 120
            instructions: "Take your time with {{inputs.topic}}"
            artifact: { schema: { type: object } }
        """;

    private static string HookTemplate(Uri webhook) => $$$"""
        name: study-hook
        version: 1
        inputs: { schema: { type: object, required: [title], properties: { title: { type: string } } } }
        phases:
          - key: call
            executor: http
            settings: { url: "{{{webhook}}}" }
            retry: { maxAttempts: 1 }
            instructions: "Write {{inputs.title}}"
            artifact: { schema: { type: object, required: [text], properties: { text: { type: string } } } }
        """;
}
