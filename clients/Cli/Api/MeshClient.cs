using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Cli.Configuration;

namespace RunMesh.Cli.Api;

/// <summary>
/// The REST API through the gateway: sends the API key as <c>X-Api-Key</c>, turns problem answers into
/// <see cref="MeshApiException"/> and connection failures into <see cref="MeshUnreachableException"/>.
/// </summary>
internal sealed class MeshClient : IDisposable
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;

    public MeshClient(MeshConnection connection)
    {
        Connection = connection;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = connection.Url,
            // Streams run as long as the run; single requests get their own timeout.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (connection.ApiKey is not null)
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", connection.ApiKey);
        }

        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("runmesh-cli", "1"));
    }

    /// <summary>Where requests go and with which key.</summary>
    public MeshConnection Connection { get; }

    /// <summary>GET a JSON document; the raw text and its parsed form.</summary>
    public Task<ApiDocument> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    /// <summary>POST a JSON body.</summary>
    public Task<ApiDocument> PostJsonAsync(string path, JsonNode body, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return SendAsync(request, cancellationToken);
    }

    /// <summary>POST a document (a template or study definition) with its media type.</summary>
    public Task<ApiDocument> PostDocumentAsync(string path, string text, string mediaType, CancellationToken cancellationToken)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, cancellationToken);
    }

    /// <summary>GET a body as bytes with the given <c>Accept</c> (study results, the Markdown report).</summary>
    public async Task<byte[]> GetBytesAsync(string path, string accept, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(accept);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, s_requestTimeout, cancellationToken);
        await ThrowIfProblemAsync(response, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>Opens a Server-Sent Events stream (headers read, body streaming); the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, long lastEventId, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId > 0)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, s_requestTimeout, cancellationToken);
        try
        {
            await ThrowIfProblemAsync(response, cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<ApiDocument> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, s_requestTimeout, cancellationToken);
        await ThrowIfProblemAsync(response, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? json = null;
        if (text.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON (e.g. a Markdown body); Text carries it.
            }
        }

        return new ApiDocument((int)response.StatusCode, text, json);
    }

    /// <summary>Sends, with <paramref name="timeout"/> until the response headers arrive.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(
        HttpRequestMessage request, HttpCompletionOption completion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await _http.SendAsync(request, completion, deadline.Token);
        }
        catch (HttpRequestException exception)
        {
            throw new MeshUnreachableException(Connection.Url, exception.InnerException?.Message ?? exception.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MeshUnreachableException(Connection.Url, $"no answer within {timeout.TotalSeconds:0} s");
        }
    }

    private static async Task ThrowIfProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonObject? problem = null;
        try
        {
            problem = body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null;
        }
        catch (JsonException)
        {
            // A proxy's HTML or plain text: shown by status alone.
        }

        throw new MeshApiException(response.StatusCode, problem, body);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An answer of the API: status, the body as sent, and the body parsed as JSON (null when not JSON).</summary>
internal sealed record ApiDocument(int Status, string Text, JsonNode? Json)
{
    /// <summary>The body as a JSON object (throws when it is not one).</summary>
    public JsonObject Object => Json as JsonObject ?? throw new InvalidOperationException("The API answered something other than a JSON object.");

    /// <summary>Whether the status was <paramref name="status"/>.</summary>
    public bool Is(HttpStatusCode status) => Status == (int)status;
}
