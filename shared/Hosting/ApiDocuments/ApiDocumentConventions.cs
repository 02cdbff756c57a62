using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// What makes a RunMesh OpenAPI document one a client generator can use, applied to every service's document:
/// <list type="bullet">
/// <item>each operation that reads a body declares it (<see cref="RequestBodies"/>: its schema per media type);</item>
/// <item>each error the endpoint may answer is declared — those its handler answers (<see cref="ProblemResponseDeclarations"/>)
/// and those that follow from its metadata (<see cref="ApiErrorResponses"/>) — as <c>application/problem+json</c> of
/// one shared <c>ProblemDetails</c> schema, described with the problem codes it carries;</item>
/// <item>a parameter taken as text but meaning a number, a boolean or an enum has that type (<see cref="DocumentedAsAttribute"/>),
/// a string with a fixed set of values (<see cref="AllowedValuesAttribute"/>) has them as its <c>enum</c>, and a decimal
/// (money) is a number of format <c>decimal</c>.</item>
/// </list>
/// Numbers are numbers: the serializer options the schemas come from read numbers strictly (see
/// <see cref="ServiceDefaults"/>), as every body reader does, so no schema says an integer may be a string.
/// </summary>
public static class ApiDocumentConventions
{
    /// <summary>The media type of every error.</summary>
    public const string ProblemContentType = "application/problem+json";

    /// <summary>The component every error response refers to.</summary>
    public const string ProblemSchemaId = "ProblemDetails";

    /// <summary>Adds the conventions to a document's options.</summary>
    public static OpenApiOptions UseRunMeshConventions(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddSchemaTransformer(ApplyValueRulesAsync);
        options.AddOperationTransformer(DescribeOperationAsync);
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ProblemSchemaId] = ProblemSchema();
            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>
    /// The one problem+json shape (<see cref="Problems.ProblemResponses"/>): RFC 9457's members, the stable <c>code</c>,
    /// <c>errors</c> for validation (each <c>{path, message}</c>), and the <c>traceId</c> that finds the request in the
    /// logs. Further members may appear on particular problems (e.g. <c>registeredHash</c> on a template conflict).
    /// </summary>
    public static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error (RFC 9457 problem details). Switch on `code`, which is stable; `detail` says what was wrong in words.",
        Required = new HashSet<string> { "type", "title", "status", "detail", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = Text("`urn:runmesh:problem:{code}`."),
            ["title"] = Text("A short summary of the kind of problem."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
            ["detail"] = Text("What was wrong with this request, in words (never a secret)."),
            ["instance"] = Text("The request the problem is about, when given."),
            ["code"] = Text("The stable, machine-readable problem code (e.g. `invalid_request`, `run_not_found`)."),
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "Every thing that was wrong (validation problems): where and what.",
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "path", "message" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["path"] = Text("The JSON path of the value (e.g. `$.options.maxDepth`), or `$` for the whole body."),
                        ["message"] = Text("What the value must be."),
                    },
                },
            },
            ["traceId"] = Text("The W3C trace id of the request: quote it when reporting a problem."),
        },
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    /// <summary>
    /// A property with <see cref="AllowedValuesAttribute"/> has its values as the schema's <c>enum</c>; money and other
    /// decimals are numbers of format <c>decimal</c> (exact: a client should not read them as binary floating point).
    /// </summary>
    private static Task ApplyValueRulesAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if ((Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type) == typeof(decimal))
        {
            schema.Format = "decimal";
        }

        if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: true) is [AllowedValuesAttribute allowed, ..])
        {
            SetEnum(schema, allowed.Values);
        }

        return Task.CompletedTask;
    }

    private static async Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata.ToList();
        if (metadata.OfType<RequestBodyMetadata>().FirstOrDefault() is { } body)
        {
            operation.RequestBody = await RequestBodyAsync(body, context, cancellationToken);
        }

        if (metadata.OfType<MethodInfo>().FirstOrDefault() is { } handler && operation.Parameters is { } parameters)
        {
            foreach (var parameter in parameters.OfType<OpenApiParameter>())
            {
                await DescribeParameterAsync(parameter, handler, context, cancellationToken);
            }
        }

        AddErrorResponses(operation, metadata, "/" + (context.Description.RelativePath ?? ""), context.Document);
    }

    private static async Task<OpenApiRequestBody> RequestBodyAsync(
        RequestBodyMetadata body, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var content = new Dictionary<string, OpenApiMediaType>();
        IOpenApiSchema schema = AsRequest(await context.GetOrCreateSchemaAsync(body.Type, parameterDescription: null, cancellationToken));
        if (schema is OpenApiSchema own && !typeof(System.Text.Json.Nodes.JsonNode).IsAssignableFrom(body.Type))
        {
            own.AdditionalPropertiesAllowed = false;
            if (context.Document is { } document)
            {
                // A named schema, so that a client generator names the type after it.
                document.Components ??= new OpenApiComponents();
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                document.Components.Schemas.TryAdd(body.Type.Name, own);
                schema = new OpenApiSchemaReference(body.Type.Name, document);
            }
        }

        foreach (var mediaType in body.JsonMediaTypes)
        {
            content[mediaType] = new OpenApiMediaType { Schema = schema };
        }

        foreach (var mediaType in body.TextMediaTypes)
        {
            content[mediaType] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The same document, as YAML." },
            };
        }

        return new OpenApiRequestBody { Required = body.Required, Description = body.Description, Content = content };
    }

    /// <summary>
    /// A body's schema as the body readers take it: no field may be <c>null</c> (an optional field is left out), and an
    /// object with declared fields takes no others. A copy: referenced components, which responses share, stay as they are.
    /// </summary>
    private static IOpenApiSchema AsRequest(IOpenApiSchema schema)
    {
        if (schema is not OpenApiSchema own)
        {
            return schema;
        }

        // A nullable reference is written oneOf [{type: null}, {$ref}]: the body takes only the reference.
        if (own.OneOf is { Count: 2 } alternatives && alternatives.Count(a => a.Type == JsonSchemaType.Null) == 1)
        {
            return AsRequest(alternatives.Single(a => a.Type != JsonSchemaType.Null));
        }

        var copy = (OpenApiSchema)own.CreateShallowCopy();
        if (copy.Type is { } type && type != JsonSchemaType.Null)
        {
            copy.Type = type & ~JsonSchemaType.Null;
        }

        if (own.Properties is { Count: > 0 } properties)
        {
            copy.Properties = properties.ToDictionary(p => p.Key, p => AsRequest(p.Value));
            copy.AdditionalPropertiesAllowed = copy.AdditionalProperties is not null;
        }

        copy.Items = own.Items is null ? null : AsRequest(own.Items);
        copy.AdditionalProperties = own.AdditionalProperties is null ? null : AsRequest(own.AdditionalProperties);
        return copy;
    }

    /// <summary>Gives a parameter the type its handler documents for it (<see cref="DocumentedAsAttribute"/>, <see cref="AllowedValuesAttribute"/>).</summary>
    private static async Task DescribeParameterAsync(
        OpenApiParameter parameter, MethodInfo handler, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var declared = handler.GetParameters().FirstOrDefault(p =>
            string.Equals(p.GetCustomAttributes().OfType<IFromQueryMetadata>().FirstOrDefault()?.Name ?? p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
        if (declared is null)
        {
            return;
        }

        if (declared.GetCustomAttribute<DocumentedAsAttribute>() is { } documented)
        {
            var schema = await context.GetOrCreateSchemaAsync(documented.Type, parameterDescription: null, cancellationToken);
            if (schema is OpenApiSchema own)
            {
                own.Type &= ~JsonSchemaType.Null;
                own.Pattern = null;
                if (documented.Minimum != long.MinValue)
                {
                    own.Minimum = documented.Minimum.ToString(CultureInfo.InvariantCulture);
                }

                if (documented.Maximum != long.MaxValue)
                {
                    own.Maximum = documented.Maximum.ToString(CultureInfo.InvariantCulture);
                }
            }

            parameter.Schema = schema;
        }

        if (declared.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed && parameter.Schema is OpenApiSchema text)
        {
            SetEnum(text, allowed.Values);
        }
    }

    /// <summary>
    /// Declares every error the endpoint may answer (its own, <see cref="ProblemResponseMetadata"/>, and those its
    /// metadata implies, <see cref="ApiErrorResponses"/>), each as problem+json of the shared schema and described with
    /// its codes; a status the endpoint declares with another body (e.g. the 503 of <c>/health/ready</c>) keeps it.
    /// Responses end up in status order.
    /// </summary>
    public static void AddErrorResponses(OpenApiOperation operation, IReadOnlyList<object> metadata, string routePattern, OpenApiDocument? document)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(metadata);
        var declared = metadata.OfType<IProducesResponseTypeMetadata>().ToList();
        var codes = new Dictionary<int, List<string>>();
        foreach (var problem in declared.Where(IsProblem))
        {
            (codes.TryGetValue(problem.StatusCode, out var known) ? known : codes[problem.StatusCode] = []).AddRange((problem as ProblemResponseMetadata)?.Codes ?? []);
        }

        foreach (var (status, implied) in ApiErrorResponses.Of(metadata, routePattern))
        {
            if (!declared.Any(d => d.StatusCode == status && !IsProblem(d)))
            {
                (codes.TryGetValue(status, out var known) ? known : codes[status] = []).AddRange(implied);
            }
        }

        operation.Responses ??= new OpenApiResponses();
        foreach (var (status, list) in codes)
        {
            operation.Responses[status.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = ApiErrorResponses.Describe(status, list),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [ProblemContentType] = new() { Schema = new OpenApiSchemaReference(ProblemSchemaId, document) },
                },
            };
        }

        var ordered = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (status, response) in ordered)
        {
            operation.Responses[status] = response;
        }
    }

    private static bool IsProblem(IProducesResponseTypeMetadata response) =>
        response.StatusCode >= 400 && response.Type is { } type && typeof(ProblemDetails).IsAssignableFrom(type);

    private static void SetEnum(OpenApiSchema schema, IEnumerable<object?> values) =>
        schema.Enum = [.. values.OfType<object>().Select(v => (JsonNode)JsonValue.Create(v.ToString()!))];
}
