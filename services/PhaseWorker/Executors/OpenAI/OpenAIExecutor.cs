using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Mime;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Executors.OpenAI;

/// <summary>
/// Calls an OpenAI-compatible chat-completions endpoint (<c>PhaseWorker:OpenAI:BaseUrl</c>) with the run's model
/// settings (<c>name</c>, <c>temperature</c>, <c>maxTokens</c>, <c>seed</c>), asking for a JSON object: the system prompt carries the artifact schema and, on a repair attempt, the
/// previous attempt's validation errors; the user message is the rendered instructions. The answer's message content
/// is the artifact; usage comes from the answer's <c>usage</c> and the price table. 429, 5xx, transport failures,
/// the request timeout and an answer that is not JSON are executor errors, which the saga retries with backoff.
/// </summary>
internal sealed class OpenAIExecutor(IHttpClientFactory clients, IOptions<PhaseWorkerOptions> options, PriceTable prices) : IPhaseExecutor
{
    /// <summary>The executor's name in templates.</summary>
    public const string ExecutorName = "openai";

    private const string What = "openai";

    /// <inheritdoc />
    public string Name => ExecutorName;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(ExecutePhase command, CancellationToken cancellationToken)
    {
        var endpoint = options.Value.OpenAI;
        if (string.IsNullOrWhiteSpace(endpoint.BaseUrl))
        {
            throw new ExecutorException($"{What}: no endpoint configured (PhaseWorker:OpenAI:BaseUrl)");
        }

        var model = ReadString(command.Model, "name") ?? endpoint.DefaultModel
            ?? throw new ExecutorException($"{What}: the run's model has no name (model.name)");

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl.TrimEnd('/') + "/chat/completions"))
        {
            Content = new StringContent(RequestBody(command, model).ToJsonString(), Encoding.UTF8, MediaTypeNames.Application.Json),
        };
        if (!string.IsNullOrEmpty(endpoint.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }

        var client = clients.CreateClient(HttpResponses.OpenAIClient);
        using var response = await HttpResponses.SendAsync(client, request, What, cancellationToken);
        HttpResponses.EnsureSuccess(response, What);
        var body = HttpResponses.ParseJson(await response.Content.ReadAsStringAsync(cancellationToken), What);

        // The tokens were spent whatever the answer is: a failure below still reports them.
        var usage = prices.For(model, ReadLong(body?["usage"], "prompt_tokens"), ReadLong(body?["usage"], "completion_tokens"));
        try
        {
            var content = body?["choices"] is JsonArray { Count: > 0 } choices
                && choices[0]?["message"]?["content"] is JsonValue contentValue
                && contentValue.TryGetValue<string>(out var text)
                    ? text
                    : throw new ExecutorException($"{What}: the answer has no message content (choices[0].message.content)");
            return new ExecutorResult(HttpResponses.ParseJson(StripCodeFence(content), $"{What} message content"), usage);
        }
        catch (ExecutorException ex)
        {
            throw new ExecutorException(ex.Message, ex) { Usage = usage };
        }
    }

    /// <summary>The chat-completions request.</summary>
    internal static JsonObject RequestBody(ExecutePhase command, string model)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = SystemPrompt(command) },
                new JsonObject { ["role"] = "user", ["content"] = command.Instructions }),
            ["response_format"] = new JsonObject { ["type"] = "json_object" },
        };
        if (command.Model["temperature"] is JsonValue temperature && temperature.GetValueKind() == JsonValueKind.Number)
        {
            body["temperature"] = temperature.DeepClone();
        }

        if (command.Model["maxTokens"] is JsonValue maxTokens && maxTokens.GetValueKind() == JsonValueKind.Number)
        {
            body["max_tokens"] = maxTokens.DeepClone();
        }

        if (ModelSeed.Read(command.Model) is { } seed)
        {
            body["seed"] = seed;
        }

        return body;
    }

    private static string SystemPrompt(ExecutePhase command)
    {
        var prompt = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"You execute the phase \"{command.PhaseKey}\" of a workflow. ")
            .AppendLine("Answer with a single JSON value and nothing else (no prose, no code fences).")
            .AppendLine("The JSON must satisfy this JSON Schema (draft 7):")
            .AppendLine(command.ArtifactSchema.ToJsonString());
        if (command.RepairFeedback is { Count: > 0 } feedback)
        {
            prompt.AppendLine().AppendLine("Your previous answer did not satisfy the schema. Fix these validation errors:");
            foreach (var error in feedback)
            {
                prompt.Append("- ").AppendLine(error);
            }
        }

        return prompt.ToString();
    }

    /// <summary>Some compatible servers wrap JSON in a Markdown fence despite being asked not to.</summary>
    private static string StripCodeFence(string content)
    {
        var trimmed = content.Trim();
        if (!trimmed.StartsWith("```", StringComparison.Ordinal) || !trimmed.EndsWith("```", StringComparison.Ordinal) || trimmed.Length < 6)
        {
            return trimmed;
        }

        var firstLineEnd = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return firstLineEnd < 0 ? trimmed[3..^3] : trimmed[(firstLineEnd + 1)..^3];
    }

    private static string? ReadString(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;

    private static long ReadLong(JsonNode? obj, string name) =>
        obj?[name] is JsonValue value && value.TryGetValue<long>(out var number) && number >= 0 ? number : 0;
}
