using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace RunMesh.EndToEnd.Tests.ChildRuns;

/// <summary>A mesh of its own (its orchestrator is killed by one test) with the child-run templates and the webhook their http phase calls.</summary>
public sealed class ChildRunsFixture : IAsyncLifetime
{
    public const string OneChild = "child-single@1";
    public const string Book = "child-book@1";
    public const string HookBook = "child-hook-book@1";
    public const string SlowBook = "child-slow-book@1";
    public const string Recursive = "child-recursive@1";
    public const string MissingChild = "child-missing@1";
    public const string NotAnArray = "child-not-an-array@1";

    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public ChildWebhook Webhook { get; } = new();

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("child-runs");
        await Mesh.RegisterTemplatesAsync(
            ChapterTemplate, SingleTemplate, BookTemplate, HookTemplate(Webhook.Address), HookBookTemplate, SlowChildTemplate, SlowBookTemplate,
            RecursiveTemplate, MissingChildTemplate, NotAnArrayTemplate);
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }

        Webhook.Dispose();
    }

    /// <summary>Starts a run of <paramref name="template"/> with <paramref name="inputs"/> as the submitter and returns its id.</summary>
    public async Task<Guid> StartAsync(string template, JsonObject inputs, JsonObject? options = null)
    {
        var body = new JsonObject { ["template"] = template, ["inputs"] = inputs };
        if (options is not null)
        {
            body["options"] = options;
        }

        using var response = await Mesh.GatewayClient("submitter").PostAsJsonAsync("/api/runs", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, text);
        return Guid.Parse(JsonNode.Parse(text)!["runId"]!.GetValue<string>());
    }

    /// <summary>The runs <c>GET /api/runs?parent=</c> lists for <paramref name="parentRunId"/>.</summary>
    public async Task<List<JsonObject>> ChildrenOfAsync(Guid parentRunId)
    {
        using var response = await Mesh.GatewayClient("viewer").GetAsync($"/api/runs?parent={parentRunId}&limit=200");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return [.. JsonNode.Parse(text)!["items"]!.AsArray().Select(r => r!.AsObject())];
    }

    public static JsonObject Feature() => new() { ["feature"] = $"feature {Guid.NewGuid():N}" };

    public static JsonObject Titles(params string[] titles) =>
        new() { ["feature"] = $"feature {Guid.NewGuid():N}", ["titles"] = new JsonArray([.. titles.Select(t => (JsonNode?)t)]) };

    private const string TitledInputs = "inputs: { schema: { type: object, required: [title], properties: { title: { type: string }, n: { type: integer } } } }";

    private const string FeatureInputs = "inputs: { schema: { type: object, required: [feature], properties: { feature: { type: string } } } }";

    private const string TitlesInputs =
        "inputs: { schema: { type: object, required: [feature, titles], properties: { feature: { type: string }, titles: { type: array, items: { type: string } } } } }";

    private const string ChapterTemplate = $$$"""
        name: child-chapter
        version: 1
        {{{TitledInputs}}}
        phases:
          - key: write
            executor: mock
            settings: { latencyMs: 400 }
            instructions: "Write the chapter {{inputs.title}}"
            artifact: { schema: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } } }
        """;

    private const string SingleTemplate = $$$"""
        name: child-single
        version: 1
        {{{FeatureInputs}}}
        phases:
          - key: draft
            executor: run
            settings: { template: "child-chapter@1", inputs: { title: "{{inputs.feature}}" } }
            artifact: { schema: { type: object, required: [text], properties: { text: { type: string } } } }
        """;

    private const string BookTemplate = $$$"""
        name: child-book
        version: 1
        {{{FeatureInputs}}}
        phases:
          - key: outline
            executor: mock
            instructions: "Outline a book on {{inputs.feature}}"
            artifact:
              schema:
                type: object
                required: [chapters]
                properties:
                  chapters:
                    type: array
                    minItems: 6
                    maxItems: 6
                    items: { type: object, required: [title], properties: { title: { type: string, minLength: 1, maxLength: 40 } } }
          - key: chapters
            executor: run
            settings:
              template: "child-chapter@1"
              inputs: { title: "{{item.title}}", n: "{{index}}" }
              forEach: phases.outline.output.chapters
              maxParallel: 2
            artifact: { schema: { type: object, required: [items], properties: { items: { type: array, minItems: 6, maxItems: 6 } } } }
        """;

    /// <summary>
    /// A mock phase whose instructions are about 4,000 characters (so about 1,000 tokens of usage), then the webhook.
    /// </summary>
    private static string HookTemplate(Uri webhook) => $$$"""
        name: child-hook
        version: 1
        {{{TitledInputs}}}
        phases:
          - key: prepare
            executor: mock
            instructions: "{{{new string('x', 4000)}}} {{inputs.title}}"
            artifact: { schema: { type: object } }
          - key: call
            executor: http
            settings: { url: "{{{webhook}}}" }
            retry: { maxAttempts: 1 }
            timeoutSeconds: 600
            instructions: "Write {{inputs.title}}"
            artifact: { schema: { type: object, required: [text], properties: { text: { type: string } } } }
        """;

    private const string HookBookTemplate = $$$"""
        name: child-hook-book
        version: 1
        {{{TitlesInputs}}}
        phases:
          - key: chapters
            executor: run
            settings: { template: "child-hook@1", inputs: { title: "{{item}}" }, forEach: inputs.titles, maxParallel: 3 }
            retry: { maxAttempts: 2, backoffSeconds: 0 }
            artifact: { schema: { type: object, required: [items] } }
        """;

    private const string SlowChildTemplate = $$$"""
        name: child-slow
        version: 1
        {{{TitledInputs}}}
        phases:
          - key: wait
            executor: mock
            settings: { latencyMs: 60000 }
            timeoutSeconds: 120
            instructions: "Take your time with {{inputs.title}}"
            artifact: { schema: { type: object } }
        """;

    private const string SlowBookTemplate = $$$"""
        name: child-slow-book
        version: 1
        {{{TitlesInputs}}}
        phases:
          - key: chapters
            executor: run
            settings: { template: "child-slow@1", inputs: { title: "{{item}}" }, forEach: inputs.titles, maxParallel: 2 }
            artifact: { schema: { type: object } }
        """;

    private const string RecursiveTemplate = $$$"""
        name: child-recursive
        version: 1
        {{{FeatureInputs}}}
        phases:
          - key: again
            executor: run
            settings: { template: "child-recursive@1", inputs: { feature: "{{inputs.feature}}" } }
            retry: { maxAttempts: 1 }
            artifact: { schema: { type: object } }
        """;

    private const string MissingChildTemplate = $$$"""
        name: child-missing
        version: 1
        {{{FeatureInputs}}}
        phases:
          - key: delegate
            executor: run
            settings: { template: "child-nowhere@1", inputs: { title: "{{inputs.feature}}" } }
            retry: { maxAttempts: 1 }
            artifact: { schema: { type: object } }
        """;

    private const string NotAnArrayTemplate = $$$"""
        name: child-not-an-array
        version: 1
        {{{FeatureInputs}}}
        phases:
          - key: each
            executor: run
            settings: { template: "child-chapter@1", inputs: { title: "{{item}}" }, forEach: inputs.feature }
            retry: { maxAttempts: 1 }
            artifact: { schema: { type: object } }
        """;
}
