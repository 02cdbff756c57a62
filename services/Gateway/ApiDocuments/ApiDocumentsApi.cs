using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Problems;
using Scalar.AspNetCore;
using Yarp.ReverseProxy;

namespace RunMesh.Gateway.ApiDocuments;

/// <summary>
/// The API's documents, anonymous: <c>/openapi/{orchestrator|approval|report|planner}.json</c> fetched from a destination of
/// that service (its <c>/openapi/v1.json</c>) and rewritten to point at the gateway and to ask for an API key;
/// <c>/openapi/gateway.json</c> (the gateway's own); and <c>/docs</c>, a Scalar page over all five where a key can be entered.
/// </summary>
internal static class ApiDocumentsApi
{
    public const string HttpClientName = "service-documents";
    public const string ApiKeyScheme = "apiKey";
    private static readonly string[] s_services = ["orchestrator", "approval", "report", "planner"];

    public static IEndpointRouteBuilder MapApiDocuments(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/openapi/{service:regex(^(orchestrator|approval|report|planner)$)}.json", GetServiceDocumentAsync)
            .WithName("GetServiceDocument")
            .WithOrder(-1)
            .AllowAnonymous()
            .ExcludeFromDescription();

        endpoints.MapScalarApiReference("/docs", options => options
                .WithTitle("RunMesh API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddDocuments(s_services.Append("gateway"))
                .AddPreferredSecuritySchemes(ApiKeyScheme))
            .AllowAnonymous();
        return endpoints;
    }

    private static async Task GetServiceDocumentAsync(
        string service, HttpContext context, IProxyStateLookup proxy, IHttpClientFactory httpClients, IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        var destinations = proxy.TryGetCluster(service, out var cluster)
            ? cluster.DestinationsState.AvailableDestinations.Concat(cluster.Destinations.Values).Distinct()
            : [];
        foreach (var destination in destinations)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(new Uri(destination.Model.Config.Address), "/openapi/v1.json"), cancellationToken);
                if (response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) is JsonObject document)
                {
                    await Results.Text(ForGateway(document, options.Value.PublicUrl).ToJsonString(), "application/json").ExecuteAsync(context);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException
                or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Try the next destination.
            }
        }

        await ProblemResponses.WriteAsync(
            context, StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable, "Service unavailable",
            $"The OpenAPI document of '{service}' could not be fetched from any of its destinations.");
    }

    /// <summary>
    /// Requests from the document go to the gateway, with an API key (<c>X-Api-Key</c>): to its configured public URL,
    /// or (no <c>servers</c>) relative to where the document was read — never to the request's <c>Host</c>.
    /// </summary>
    private static JsonObject ForGateway(JsonObject document, string? publicUrl)
    {
        document.Remove("servers");
        if (!string.IsNullOrWhiteSpace(publicUrl))
        {
            document["servers"] = new JsonArray(new JsonObject { ["url"] = publicUrl.TrimEnd('/') });
        }

        var components = document["components"] as JsonObject ?? [];
        document["components"] = components;
        var schemes = components["securitySchemes"] as JsonObject ?? [];
        components["securitySchemes"] = schemes;
        schemes[ApiKeyScheme] = new JsonObject
        {
            ["type"] = "apiKey",
            ["in"] = "header",
            ["name"] = "X-Api-Key",
            ["description"] = "A RunMesh API key; its role decides what it may do (viewer < submitter < approver < admin).",
        };
        document["security"] = new JsonArray(new JsonObject { [ApiKeyScheme] = new JsonArray() });
        return document;
    }
}
