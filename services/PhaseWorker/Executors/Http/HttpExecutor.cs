using System.Net.Mime;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Executors.Http;

/// <summary>
/// Lets another system implement a phase: POSTs <c>{runId, phaseKey, attempt, instructions, inputs,
/// referencedOutputs, schema}</c> (plus <c>seed</c> when the run's model has one) to the phase's <c>settings.url</c> (or <c>PhaseWorker:Http:DefaultUrl</c>) with
/// <c>Idempotency-Key: {ExecutionId}</c> — the same key on every redelivery of the attempt — and takes the JSON
/// response body as the artifact. Non-2xx answers are executor errors; usage is zero. Only hosts and ports that
/// <see cref="HttpEgressPolicy"/> allows are called; any other URL is an executor error before a connection is made.
/// </summary>
internal sealed class HttpExecutor(IHttpClientFactory clients, IOptions<PhaseWorkerOptions> options, HttpEgressPolicy egress) : IPhaseExecutor
{
    /// <summary>The executor's name in templates.</summary>
    public const string ExecutorName = "http";

    /// <summary>The header that makes a redelivered attempt recognizable to the receiver.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private const string What = "http";

    /// <inheritdoc />
    public string Name => ExecutorName;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(ExecutePhase command, CancellationToken cancellationToken)
    {
        var url = Url(command);
        egress.EnsureAllowed(url, What);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(RequestBody(command).ToJsonString(), Encoding.UTF8, MediaTypeNames.Application.Json),
        };
        request.Headers.Add(IdempotencyKeyHeader, command.ExecutionId.ToString("D"));

        var client = clients.CreateClient(HttpResponses.HttpClient);
        using var response = await HttpResponses.SendAsync(client, request, What, cancellationToken);
        HttpResponses.EnsureSuccess(response, What);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ExecutorException($"{What}: the answer has an empty body");
        }

        return new ExecutorResult(HttpResponses.ParseJson(text, What), new Usage());
    }

    /// <summary>The request body.</summary>
    internal static JsonObject RequestBody(ExecutePhase command)
    {
        var body = new JsonObject
        {
            ["runId"] = command.RunId,
            ["phaseKey"] = command.PhaseKey,
            ["attempt"] = command.Attempt,
            ["instructions"] = command.Instructions,
            ["inputs"] = command.Inputs.DeepClone(),
            ["referencedOutputs"] = command.ReferencedOutputs.DeepClone(),
            ["schema"] = command.ArtifactSchema.DeepClone(),
        };
        if (ModelSeed.Read(command.Model) is { } seed)
        {
            body["seed"] = seed;
        }

        return body;
    }

    private Uri Url(ExecutePhase command)
    {
        var configured = command.ExecutorSettings["url"] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : options.Value.Http.DefaultUrl;
        if (string.IsNullOrWhiteSpace(configured))
        {
            throw new ExecutorException($"{What}: no URL (settings.url, or PhaseWorker:Http:DefaultUrl)");
        }

        // The URL itself is not repeated in the error: it may carry credentials.
        return Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ExecutorException($"{What}: settings.url must be an absolute http or https URL");
    }
}
