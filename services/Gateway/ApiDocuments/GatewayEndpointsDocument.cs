using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.OpenApi;
using RunMesh.Hosting.ApiDocuments;
using Yarp.ReverseProxy.Model;

namespace RunMesh.Gateway.ApiDocuments;

/// <summary>
/// The gateway's own document is made from its endpoints. Endpoints with a handler (as the console's <c>/auth/…</c>
/// will be) are described by ASP.NET Core itself, with <see cref="ApiDocumentConventions"/>; this adds those it cannot
/// see, from their metadata: the health checks and <c>/metrics</c>, and the routes the gateway forwards outside
/// <c>/api/</c> (the diagnostics ping) — the <c>/api/</c> routes are the services' documents. A forwarded route's
/// summary and tag come from its configuration's <c>Metadata</c> (<c>Summary</c>, <c>Tag</c>).
/// </summary>
internal static class GatewayEndpointsDocument
{
    /// <summary>Where the services' documents take over.</summary>
    private const string ServicesPrefix = "/api/";

    public static OpenApiOptions DescribeGatewayEndpoints(this OpenApiOptions options) =>
        options.AddDocumentTransformer(async (document, context, cancellationToken) =>
        {
            var endpoints = context.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
            foreach (var endpoint in endpoints.Where(IsUndescribed).OrderBy(e => e.RoutePattern.RawText, StringComparer.Ordinal))
            {
                if (PathOf(endpoint.RoutePattern) is not { } path)
                {
                    continue;
                }

                document.Paths ??= [];
                if (!document.Paths.TryGetValue(path, out var item))
                {
                    item = new OpenApiPathItem();
                    document.Paths[path] = item;
                }

                foreach (var method in MethodsOf(endpoint))
                {
                    var operation = await DescribeAsync(endpoint, path, context, document, cancellationToken);
                    ((OpenApiPathItem)item).AddOperation(method, operation);
                }
            }
        });

    /// <summary>An endpoint ASP.NET Core leaves out of the document (no handler method) that is not excluded and not a service's.</summary>
    private static bool IsUndescribed(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<MethodInfo>() is null
        && endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
        && endpoint.RoutePattern.RawText?.StartsWith(ServicesPrefix, StringComparison.Ordinal) != true
        && (endpoint.Metadata.GetMetadata<RouteModel>() is not null || endpoint.Metadata.GetMetadata<IProducesResponseTypeMetadata>() is not null);

    /// <summary>The path as a document writes it (<c>/diagnostics/ping/{service}</c>); null for a catch-all.</summary>
    private static string? PathOf(RoutePattern pattern)
    {
        var segments = new List<string>();
        foreach (var segment in pattern.PathSegments)
        {
            var text = "";
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        text += literal.Content;
                        break;
                    case RoutePatternSeparatorPart separator:
                        text += separator.Content;
                        break;
                    case RoutePatternParameterPart { IsCatchAll: false } parameter:
                        text += $"{{{parameter.Name}}}";
                        break;
                    default:
                        return null;
                }
            }

            segments.Add(text);
        }

        return "/" + string.Join('/', segments);
    }

    private static IEnumerable<HttpMethod> MethodsOf(RouteEndpoint endpoint) =>
        (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            .Where(m => !HttpMethods.IsHead(m))
            .Select(m => new HttpMethod(m));

    private static async Task<OpenApiOperation> DescribeAsync(
        RouteEndpoint endpoint, string path, OpenApiDocumentTransformerContext context, OpenApiDocument document, CancellationToken cancellationToken)
    {
        var route = endpoint.Metadata.GetMetadata<RouteModel>()?.Config;
        var operation = new OpenApiOperation
        {
            OperationId = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? (route is null ? null : OperationIdOf(route.RouteId)),
            Summary = endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary ?? MetadataOf(route, "Summary"),
            Description = endpoint.Metadata.GetMetadata<IEndpointDescriptionMetadata>()?.Description
                ?? (route is null ? null : $"Forwarded to the {route.ClusterId} service (route `{route.RouteId}`)."),
            Responses = [],
        };
        var tags = endpoint.Metadata.GetMetadata<ITagsMetadata>()?.Tags ?? (MetadataOf(route, "Tag") is { } tag ? [tag] : []);
        if (tags.Count > 0)
        {
            operation.Tags = new HashSet<OpenApiTagReference>(tags.Select(t => new OpenApiTagReference(t, document)));
        }

        foreach (var parameter in endpoint.RoutePattern.Parameters)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = parameter.Name,
                In = ParameterLocation.Path,
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        foreach (var response in endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>())
        {
            var schema = response.Type is { } type ? await SchemaOfAsync(type, context, document, cancellationToken) : null;
            operation.Responses[response.StatusCode.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = response.Description ?? Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(response.StatusCode),
                Content = schema is null ? null : response.ContentTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = schema }),
            };
        }

        if (route is not null)
        {
            operation.Responses.TryAdd("200", new OpenApiResponse
            {
                Description = $"The {route.ClusterId} service's answer.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema() } },
            });
            ApiDocumentConventions.AddErrorResponses(operation, [.. endpoint.Metadata, .. ProblemsOf(route)], path, document);
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[GatewayDocuments.ForwardedTo] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(route.ClusterId ?? ""));
        }

        return operation;
    }

    /// <summary>
    /// A component for a declared answer's type (named after it, as ASP.NET Core names those it describes), so that a
    /// client generator names the type; a string stays inline.
    /// </summary>
    private static async Task<IOpenApiSchema> SchemaOfAsync(
        Type type, OpenApiDocumentTransformerContext context, OpenApiDocument document, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(type, parameterDescription: null, cancellationToken);
        if (schema is not OpenApiSchema { Type: JsonSchemaType.Object } named)
        {
            return schema;
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd(type.Name, named);
        return new OpenApiSchemaReference(type.Name, document);
    }

    /// <summary>
    /// What the service behind a forwarded route answers besides success, from the route's <c>Metadata:Problems</c>:
    /// <c>504:service_unreachable</c>, several separated by <c>;</c>.
    /// </summary>
    private static IEnumerable<ProblemResponseMetadata> ProblemsOf(Yarp.ReverseProxy.Configuration.RouteConfig route) =>
        (MetadataOf(route, "Problems") ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split(':', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2 && int.TryParse(p[0], CultureInfo.InvariantCulture, out _))
            .Select(p => new ProblemResponseMetadata(int.Parse(p[0], CultureInfo.InvariantCulture), p[1].Split(',', StringSplitOptions.TrimEntries)));

    private static string? MetadataOf(Yarp.ReverseProxy.Configuration.RouteConfig? route, string key) =>
        route?.Metadata?.TryGetValue(key, out var value) == true ? value : null;

    /// <summary><c>diagnostics-ping</c> → <c>DiagnosticsPing</c>.</summary>
    private static string OperationIdOf(string routeId) =>
        string.Concat(routeId.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}
