using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using RunMesh.Hosting.Problems;

namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// A service's OpenAPI documents, made once per process: what describes them (the endpoints, their metadata, the
/// conventions) does not change while it runs, and making one takes seconds of CPU on a cold process — time the gateway,
/// which fetches them for its clients, would otherwise wait on every time. A document that failed to be made is tried
/// again on the next request.
/// </summary>
public sealed class ApiDocumentCache(IServiceProvider services, IOptionsMonitor<OpenApiOptions> options)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _documents = new(StringComparer.Ordinal);

    /// <summary>The JSON of document <paramref name="documentName"/>; null when the service has no such document.</summary>
    public async Task<string?> GetJsonAsync(string documentName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documentName);
        if (services.GetKeyedService<IOpenApiDocumentProvider>(documentName) is not { } provider)
        {
            return null;
        }

        // Made without the request's cancellation: one caller giving up must not fail the document for the others.
        var made = _documents.GetOrAdd(documentName, name => new Lazy<Task<string>>(() => MakeAsync(provider, name)));
        try
        {
            return await made.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (made.Value.IsFaulted)
        {
            _documents.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(documentName, made));
            throw;
        }
    }

    /// <summary>Answers <c>GET /openapi/{documentName}.json</c>.</summary>
    public static async Task ServeAsync(string documentName, HttpContext context, ApiDocumentCache cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cache);
        if (await cache.GetJsonAsync(documentName, cancellationToken) is { } json)
        {
            await Results.Text(json, "application/json; charset=utf-8").ExecuteAsync(context);
            return;
        }

        await ProblemResponses.WriteAsync(context, StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found",
            $"There is no API document '{(documentName.Length <= 64 ? documentName : documentName[..64])}'.");
    }

    private async Task<string> MakeAsync(IOpenApiDocumentProvider provider, string documentName)
    {
        var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
        return await document.SerializeAsJsonAsync(options.Get(documentName).OpenApiVersion, CancellationToken.None);
    }
}
