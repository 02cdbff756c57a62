using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Problems;
using Scalar.AspNetCore;
using Yarp.ReverseProxy;

namespace RunMesh.Gateway.ApiDocuments;

/// <summary>
/// The API's documents, anonymous: <c>/openapi/{orchestrator|approval|report|planner}.json</c> fetched from a destination of
/// that service (its <c>/openapi/v1.json</c>), and <c>/openapi/gateway.json</c> (the gateway's own, made from its
/// endpoints: <see cref="GatewayEndpointsDocument"/>), each rewritten for the gateway (<see cref="GatewayDocuments"/>);
/// and <c>/docs</c>, a Scalar page over all five where a key can be entered.
/// </summary>
internal static class ApiDocumentsApi
{
    public const string HttpClientName = "service-documents";
    public const string GatewayDocumentName = "gateway";
    private static readonly string[] s_services = ["orchestrator", "approval", "report", "planner"];

    public static IEndpointRouteBuilder MapApiDocuments(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/openapi/{service:regex(^(orchestrator|approval|report|planner)$)}.json", GetServiceDocumentAsync)
            .WithName("GetServiceDocument")
            .WithOrder(-1)
            .AllowAnonymous()
            .ExcludeFromDescription();
        endpoints.MapGet($"/openapi/{GatewayDocumentName}.json", GetGatewayDocumentAsync)
            .WithName("GetGatewayDocument")
            .WithOrder(-1)
            .AllowAnonymous()
            .ExcludeFromDescription();

        endpoints.MapScalarApiReference("/docs", options => options
                .WithTitle("RunMesh API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddDocuments(s_services.Append(GatewayDocumentName))
                .AddPreferredSecuritySchemes(GatewayDocuments.ApiKeyScheme))
            .AllowAnonymous();
        return endpoints;
    }

    private static async Task GetGatewayDocumentAsync(
        HttpContext context, ApiDocumentCache documents, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var json = JsonNode.Parse((await documents.GetJsonAsync(GatewayDocumentName, cancellationToken))!)!.AsObject();
        await Results.Text(GatewayDocuments.ForGateway(json, options.Value.PublicUrl, service: null).ToJsonString(), "application/json")
            .ExecuteAsync(context);
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
                    await Results.Text(GatewayDocuments.ForGateway(document, options.Value.PublicUrl, service).ToJsonString(), "application/json")
                        .ExecuteAsync(context);
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
}
