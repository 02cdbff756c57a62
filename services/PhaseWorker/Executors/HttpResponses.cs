using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>What the HTTP-based executors share: sending with safe failures, and reading JSON bodies.</summary>
internal static class HttpResponses
{
    /// <summary>The HTTP client names.</summary>
    public const string OpenAIClient = "executor-openai";

    /// <inheritdoc cref="OpenAIClient"/>
    public const string HttpClient = "executor-http";

    /// <summary>
    /// Sends <paramref name="request"/>; a transport failure or the client's own timeout becomes an
    /// <see cref="ExecutorException"/>, while the caller's cancellation (phase timeout, <c>CancelPhase</c>) propagates.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExecutorException($"{what}: the request timed out after {client.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex) when (ex.InnerException is Http.EgressRefusedException refused)
        {
            throw new ExecutorException($"{what}: no connection made: {refused.Message}", ex);
        }
        catch (HttpRequestException ex)
        {
            // The message of a transport error names the host and the socket error, not the request's headers.
            throw new ExecutorException($"{what}: the request failed ({ex.HttpRequestError})", ex);
        }
    }

    /// <summary>A non-2xx status as an executor error.</summary>
    public static void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            var reason = response.StatusCode switch
            {
                HttpStatusCode.TooManyRequests => "rate limited",
                _ when status >= 500 => "server error",
                _ => "request refused",
            };
            throw new ExecutorException($"{what}: the endpoint answered {status} ({reason})");
        }
    }

    /// <summary>Parses JSON text; anything else is an executor error.</summary>
    public static JsonNode? ParseJson(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException)
        {
            throw new ExecutorException($"{what}: the answer is not valid JSON");
        }
    }
}
