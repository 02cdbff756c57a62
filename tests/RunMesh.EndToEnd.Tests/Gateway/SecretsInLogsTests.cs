using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// No secret in a log line or an error body (docs/security.md): a mesh whose phase worker calls a fake OpenAI-compatible
/// server with a known LLM key gets traffic that tempts every layer to log a secret — valid and unknown API keys in
/// both headers, 401, 403, 413 and 429, a run whose LLM calls succeed and one whose calls are refused with a body that
/// quotes the key (as OpenAI's own 401 does). Then every process's whole captured log and every body the client
/// received are searched for each API key, the gateway's private key (its PEM lines and the raw scalar) and the LLM key.
/// </summary>
public sealed class SecretsInLogsTests : IAsyncLifetime
{
    private const string AnsweringModel = "gpt-answers";
    private const string RefusedModel = "gpt-refused";
    private const string Template = "secrets-openai";
    private static readonly TimeSpan s_logged = TimeSpan.FromSeconds(15);

    private readonly string _llmKey = $"sk-test-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))}";
    private readonly List<(string What, HttpStatusCode Status, string Body)> _bodies = [];
    private FakeServer? _openAI;
    private MeshHarness? _mesh;

    private MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    private FakeServer OpenAI => _openAI ?? throw new InvalidOperationException("The fake OpenAI server has not started.");

    public async Task InitializeAsync()
    {
        _openAI = await FakeServer.StartAsync(AnswerAsChatCompletionsAsync);
        _mesh = await MeshHarness.StartAsync("secrets", settings: new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["phase-worker"] = new Dictionary<string, string>
            {
                ["PhaseWorker:OpenAI:BaseUrl"] = _openAI.BaseAddress.ToString(),
                ["PhaseWorker:OpenAI:ApiKey"] = _llmKey,
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }

        if (_openAI is not null)
        {
            await _openAI.DisposeAsync();
        }
    }

    [Fact]
    public async Task No_api_key_private_key_or_llm_key_appears_in_any_log_line_or_error_body()
    {
        var mesh = Mesh;
        await mesh.RegisterTemplatesAsync($$$"""
            name: {{{Template}}}
            version: 1
            phases:
              - key: draft
                executor: openai
                repairAttempts: 0
                retry: { maxAttempts: 1 }
                timeoutSeconds: 30
                instructions: "Draft {{inputs.feature}}"
                artifact: { schema: { type: object, required: [title], properties: { title: { type: string } } } }
            """);

        // Valid keys of every role, as X-Api-Key and as Authorization: Bearer.
        foreach (var role in MeshHarness.Roles)
        {
            foreach (var asBearer in new[] { false, true })
            {
                await ExpectAsync(mesh.GatewayClient(role, asBearer), HttpMethod.Get, "/api/templates", HttpStatusCode.OK);
            }
        }

        // Unknown keys, both ways: made up, a valid key with one character more or less, and one over the length limit.
        string[] unknownKeys =
        [
            $"rm_admin_{Guid.NewGuid():N}",
            mesh.ApiKey("admin") + "0",
            mesh.ApiKey("approver")[..^1],
            "rm_" + new string('k', 600),
        ];
        foreach (var key in unknownKeys)
        {
            await ExpectAsync(mesh.GatewayClientWithKey(key), HttpMethod.Get, "/api/templates", HttpStatusCode.Unauthorized);
            using var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/approvals");
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            await ExpectAsync(mesh.GatewayClient(null), bearer, HttpStatusCode.Unauthorized);
        }

        // 403 (role too low), 413 (body over the limit).
        await ExpectAsync(mesh.GatewayClient("viewer", asBearer: true), HttpMethod.Post, "/api/templates", HttpStatusCode.Forbidden, JsonBody(16));
        await ExpectAsync(mesh.GatewayClient("approver"), HttpMethod.Post, "/api/templates", HttpStatusCode.Forbidden, JsonBody(16));
        await ExpectAsync(mesh.GatewayClient("submitter"), HttpMethod.Post, "/api/runs", HttpStatusCode.RequestEntityTooLarge, JsonBody(2 * 1024 * 1024));

        // 429 from a gateway allowing 2 requests a minute per key, with the key sent both ways.
        var limited = await mesh.StartGatewayAsync("gateway-secrets-limited", new Dictionary<string, string>
        {
            ["Gateway:RateLimit:PermitsPerMinute"] = "2",
        });
        var limitedViaHeader = mesh.GatewayClient("submitter", gateway: limited);
        var limitedViaBearer = mesh.GatewayClient("submitter", asBearer: true, gateway: limited);
        await ExpectAsync(limitedViaHeader, HttpMethod.Get, "/api/runs", HttpStatusCode.OK);
        await ExpectAsync(limitedViaBearer, HttpMethod.Get, "/api/runs", HttpStatusCode.OK);
        await ExpectAsync(limitedViaHeader, HttpMethod.Get, "/api/runs", HttpStatusCode.TooManyRequests);
        await ExpectAsync(limitedViaBearer, HttpMethod.Get, "/api/runs", HttpStatusCode.TooManyRequests);

        // A run whose LLM call answers, and one whose calls are refused with a body that quotes the key.
        var answered = await StartRunAsync(AnsweringModel);
        var refused = await StartRunAsync(RefusedModel);
        await mesh.WaitForRunStateAsync(answered, "completed");
        await mesh.WaitForRunStateAsync(refused, "failed");
        OpenAI.Requests.Count.ShouldBeGreaterThanOrEqualTo(2);
        OpenAI.Requests.ShouldAllBe(r => r.Headers["Authorization"] == $"Bearer {_llmKey}", "the worker sends the LLM key, so a leak was possible");

        // Everything a client can read about both runs, including their errors and reports.
        var viewer = mesh.GatewayClient("viewer");
        foreach (var runId in new[] { answered, refused })
        {
            await Eventually.UntilAsync(
                async () => (await mesh.GetRunAsync(runId))["reportUrl"] is not null,
                TimeSpan.FromSeconds(60), $"run {runId} to show its report", () => mesh.LogTails(15));
            await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{runId}", HttpStatusCode.OK);
            await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{runId}/events", HttpStatusCode.OK);
            await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{runId}/report", HttpStatusCode.OK);
            await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{runId}/report.md", HttpStatusCode.OK);
            await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{runId}/manifest", HttpStatusCode.OK);
        }

        await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{answered}/artifacts/draft", HttpStatusCode.OK);
        await ExpectAsync(viewer, HttpMethod.Get, $"/api/runs/{refused}/artifacts/draft", HttpStatusCode.NotFound);
        (await mesh.RunEventsAsync(refused)).ShouldContain(e => e["type"]!.GetValue<string>() == "phase.attempt_failed");

        await UntilEveryLogHasCaughtUpAsync(refused);

        var secrets = Secrets(unknownKeys);
        var leaks = new List<string>();
        foreach (var process in mesh.Services)
        {
            process.LogContains("--- started pid").ShouldBeTrue($"{process.Name}'s log is not captured from its start");
            leaks.AddRange(secrets.Where(s => process.LogContains(s.Value)).Select(s => $"{s.Name} in the log of {process.Name}:{Environment.NewLine}{process.LogLinesContaining(s.Value)}"));
        }

        foreach (var (what, _, body) in _bodies)
        {
            leaks.AddRange(secrets.Where(s => body.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{s.Name} in the body of {what}: {body}"));
        }

        _bodies.Select(b => b.Status).Distinct().ShouldBe(
            [HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.RequestEntityTooLarge,
             HttpStatusCode.TooManyRequests, HttpStatusCode.Accepted, HttpStatusCode.NotFound],
            ignoreOrder: true);
        mesh.Services.Select(s => s.Name).ShouldBe(["orchestrator", "approval", "report", "planner", "phase-worker", "gateway", "gateway-secrets-limited"], ignoreOrder: true);
        leaks.ShouldBeEmpty(string.Join(Environment.NewLine, leaks));
    }

    /// <summary>Each secret by name: every API key the test sent, the gateway's private key and the LLM key.</summary>
    private List<(string Name, string Value)> Secrets(IEnumerable<string> unknownKeys)
    {
        var secrets = new List<(string Name, string Value)> { ("the LLM key", _llmKey) };
        secrets.AddRange(MeshHarness.Roles.Select(role => ($"the {role} API key", Mesh.ApiKey(role))));
        secrets.AddRange(unknownKeys.Select((key, i) => ($"unknown API key {i + 1}", key)));

        // The PEM body line by line (a line is 64 base64 characters), and the private scalar in base64 and hex.
        var pem = File.ReadAllLines(Mesh.PrivateKeyPath).Where(line => !line.StartsWith("-----", StringComparison.Ordinal) && line.Length >= 16).ToList();
        pem.Count.ShouldBeGreaterThanOrEqualTo(2);
        secrets.AddRange(pem.Select((line, i) => ($"line {i + 1} of the gateway's private key PEM", line)));
        var scalar = Mesh.SigningKey.ExportParameters(includePrivateParameters: true).D!;
        secrets.Add(("the gateway's private key scalar (base64)", Convert.ToBase64String(scalar)));
        secrets.Add(("the gateway's private key scalar (hex)", Convert.ToHexString(scalar)));
        secrets.Add(("the gateway's private key scalar (lower-case hex)", Convert.ToHexStringLower(scalar)));
        return secrets;
    }

    /// <summary>
    /// Log lines reach the test through each child's stdout pipe, in order: once a line the process wrote after the
    /// traffic has arrived, everything before it has too.
    /// </summary>
    private async Task UntilEveryLogHasCaughtUpAsync(Guid refusedRun)
    {
        var mesh = Mesh;
        var marker = $"secrets-scan-{Guid.NewGuid():N}";
        var routes = new (string Role, string Path, string Service)[]
        {
            ("viewer", "/api/templates", "orchestrator"),
            ("approver", "/api/approvals", "approval"),
            ("viewer", $"/api/runs/{refusedRun}/report", "report"),
        };
        foreach (var (role, path, service) in routes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-Correlation-Id", marker);
            using var response = await mesh.GatewayClient(role).SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            await Eventually.UntilAsync(
                () => Task.FromResult(mesh.Service(service).LogLineContains($"CorrelationId:{marker}", path) && mesh.Gateway.LogLineContains($"CorrelationId:{marker}", path)),
                s_logged, $"{service} and the gateway to log the request {path}", () => mesh.LogTails(10));
        }

        var limitedGateway = mesh.Service("gateway-secrets-limited");
        await ExpectAsync(mesh.GatewayClient("viewer", gateway: limitedGateway), HttpMethod.Get, "/api/templates", HttpStatusCode.OK);
        await Eventually.UntilAsync(
            () => Task.FromResult(limitedGateway.LogLineContains("/api/templates answered 200")),
            s_logged, "the rate-limited gateway to log its last request", () => limitedGateway.LogTail(10));
        await Eventually.UntilAsync(
            () => Task.FromResult(mesh.Service("phase-worker").LogLineContains("executor error", "401")),
            s_logged, "the worker to log the refused LLM call", () => mesh.Service("phase-worker").LogTail(20));
    }

    private async Task<Guid> StartRunAsync(string model)
    {
        var body = new JsonObject
        {
            ["template"] = $"{Template}@1",
            ["inputs"] = new JsonObject { ["feature"] = $"feature {Guid.NewGuid():N}" },
            ["model"] = new JsonObject { ["name"] = model },
        };
        var text = await ExpectAsync(Mesh.GatewayClient("submitter"), HttpMethod.Post, "/api/runs", HttpStatusCode.Accepted, JsonContent.Create(body));
        return Guid.Parse(JsonNode.Parse(text)!["runId"]!.GetValue<string>());
    }

    private Task<string> ExpectAsync(HttpClient client, HttpMethod method, string path, HttpStatusCode expected, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        return ExpectAsync(client, request, expected, dispose: true);
    }

    /// <summary>Sends <paramref name="request"/>, keeps the body for the scan, and checks the status.</summary>
    private async Task<string> ExpectAsync(HttpClient client, HttpRequestMessage request, HttpStatusCode expected, bool dispose = false)
    {
        try
        {
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            _bodies.Add(($"{request.Method} {request.RequestUri} ({(int)response.StatusCode})", response.StatusCode, body));
            response.StatusCode.ShouldBe(expected, $"{request.Method} {request.RequestUri}: {body}");
            if ((int)expected >= 400)
            {
                response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
            }

            return body;
        }
        finally
        {
            if (dispose)
            {
                request.Dispose();
            }
        }
    }

    private static ByteArrayContent JsonBody(int size)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', size) + "\"}"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>
    /// The fake chat-completions endpoint: a JSON artifact for <see cref="AnsweringModel"/>; for
    /// <see cref="RefusedModel"/> a 401 whose message quotes the key it was sent, as OpenAI's does.
    /// </summary>
    private static async Task AnswerAsChatCompletionsAsync(HttpContext context)
    {
        var request = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        context.Response.ContentType = "application/json";
        if (request?["model"]?.GetValue<string>() == RefusedModel)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            var error = new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["message"] = $"Incorrect API key provided: {context.Request.Headers.Authorization}.",
                    ["type"] = "invalid_request_error",
                    ["code"] = "invalid_api_key",
                },
            };
            await context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
            return;
        }

        var completion = new JsonObject
        {
            ["id"] = "chatcmpl-secrets",
            ["object"] = "chat.completion",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = """{"title":"drafted"}""" },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 12, ["completion_tokens"] = 4 },
        };
        await context.Response.WriteAsync(completion.ToJsonString(), context.RequestAborted);
    }
}
