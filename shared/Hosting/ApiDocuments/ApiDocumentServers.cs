using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// What an OpenAPI document says about where the API is: ASP.NET Core writes the request's scheme and <c>Host</c>
/// into <c>servers</c>, so whoever asks decides what the document names (a forged <c>Host</c> would send a reader's
/// "try it" requests, with their API key, elsewhere). The documents name the configured public URL, or no server.
/// </summary>
public static class ApiDocumentServers
{
    /// <summary>Replaces <c>servers</c> with <paramref name="publicUrl"/>, or removes it when there is none.</summary>
    public static OpenApiOptions UseServer(this OpenApiOptions options, Func<IServiceProvider, string?> publicUrl) =>
        options.AddDocumentTransformer((document, context, _) =>
        {
            var url = publicUrl(context.ApplicationServices);
            document.Servers = string.IsNullOrWhiteSpace(url) ? null : [new OpenApiServer { Url = url.TrimEnd('/') }];
            return Task.CompletedTask;
        });
}
