using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.OpenApi;
using RunMesh.Hosting.ApiDocuments;
using Yarp.ReverseProxy.Model;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// The API documents the gateway serves are ones a client generator can use: each reads without errors with
/// Microsoft.OpenApi and passes its validation; each operation declares its body and every answer its endpoint can give
/// — read from the endpoints' own metadata (<see cref="ServiceEndpoints"/>), not from a list kept here; no integer may
/// be a string; every state has its values; a resource's id has one name everywhere; and every error is the one shared
/// problem schema. The documents are read from the running mesh, through the gateway, as a client reads them.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class ApiDocumentContractTests(GatewayFixture fixture)
{
    private const string ProblemReference = "#/components/schemas/ProblemDetails";
    private static readonly string[] s_documents = ["gateway", "orchestrator", "approval", "report", "planner"];
    private static readonly string[] s_methods = ["get", "put", "post", "delete", "patch"];

    /// <summary>What the gateway itself may answer on any forwarded request (docs/gateway.md, "Errors").</summary>
    private static readonly int[] s_gatewayAnswers =
        [StatusCodes.Status400BadRequest, StatusCodes.Status429TooManyRequests, StatusCodes.Status502BadGateway,
         StatusCodes.Status503ServiceUnavailable, StatusCodes.Status504GatewayTimeout];

    public static TheoryData<string> Documents => new(s_documents);

    public static TheoryData<string> Services => new(s_documents.Where(d => d != "gateway"));

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task A_document_reads_without_errors_and_passes_validation(string name)
    {
        var text = await TextAsync(name);

        var result = OpenApiDocument.Parse(text, "json");

        result.Diagnostic.ShouldNotBeNull();
        result.Diagnostic.Errors.ShouldBeEmpty(string.Join("; ", result.Diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        result.Document.ShouldNotBeNull();
        var errors = result.Document.Validate(ValidationRuleSet.GetDefaultRuleSet()).ToList();
        errors.ShouldBeEmpty(string.Join("; ", errors.Select(e => $"{e.Pointer}: {e.Message}")));
        result.Document.Paths.ShouldNotBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Every_operation_declares_its_body_and_every_answer_its_endpoint_can_give(string service)
    {
        var document = await DocumentAsync(service);
        var endpoints = ServiceEndpoints.Of(service).Where(e => IsDescribed(e) && e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        endpoints.ShouldNotBeEmpty();
        var problems = new List<string>();

        foreach (var endpoint in endpoints)
        {
            var path = PathOf(endpoint.RoutePattern);
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Where(m => !HttpMethods.IsHead(m)))
            {
                var where = $"{method} {path}";
                if (document.Paths.GetValueOrDefault(path)?.Operations?.GetValueOrDefault(new HttpMethod(method)) is not { } operation)
                {
                    problems.Add($"{where}: not in the document");
                    continue;
                }

                problems.AddRange(CheckOperation(where, endpoint, operation, forwarded: true));
            }
        }

        problems.ShouldBeEmpty(string.Join("\n", problems));
    }

    [Fact]
    public async Task The_gateway_document_lists_every_endpoint_the_gateway_answers_itself()
    {
        var document = await DocumentAsync("gateway");
        // The gateway's endpoints outside /api/ (whose documents are the services'), as it maps them: handlers (the console's
        // /auth/… when mapped), its health checks and metrics, and the routes it forwards (the diagnostics ping).
        var own = ServiceEndpoints.Of("gateway")
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
                && !e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)
                && (e.Metadata.GetMetadata<MethodInfo>() is not null || e.Metadata.GetMetadata<RouteModel>() is not null
                    || e.Metadata.GetMetadata<IProducesResponseTypeMetadata>() is not null))
            .ToList();
        var expected = own.SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Where(m => !HttpMethods.IsHead(m)).Select(m => $"{m} {PathOf(e.RoutePattern)}"))
            .ToHashSet();
        var listed = document.Paths.SelectMany(p => p.Value.Operations!.Keys.Select(m => $"{m.Method} {p.Key}")).ToHashSet();

        expected.ShouldBeSubsetOf(listed);
        listed.ShouldBe(expected, ignoreOrder: true);
        listed.ShouldContain("GET /health/live");
        listed.ShouldContain("GET /health/ready");
        listed.ShouldContain("GET /metrics");
        listed.ShouldContain("GET /diagnostics/ping/{service}");

        var ping = document.Paths["/diagnostics/ping/{service}"].Operations![HttpMethod.Get];
        ping.Responses!.Keys.ShouldBe(["200", "400", "401", "403", "429", "500", "502", "503", "504"], ignoreOrder: true);
        ping.Security.ShouldNotBeNull().ShouldNotBeEmpty();
        var ready = document.Paths["/health/ready"].Operations![HttpMethod.Get];
        ready.Responses!.Keys.ShouldBe(["200", "503"], ignoreOrder: true);
        ready.Security.ShouldBeNull();
        foreach (var endpoint in own.Where(e => e.Metadata.GetMetadata<MethodInfo>() is not null))
        {
            // A handler of the gateway's own (such as /auth/login) is held to the same rules as the services' operations.
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Where(m => !HttpMethods.IsHead(m)))
            {
                var path = PathOf(endpoint.RoutePattern);
                CheckOperation($"{method} {path}", endpoint, document.Paths[path].Operations![new HttpMethod(method)], forwarded: false).ShouldBeEmpty();
            }
        }
    }

    [Fact]
    public async Task No_schema_lets_a_number_be_a_string_and_limits_and_money_are_numbers()
    {
        var problems = new List<string>();
        foreach (var name in s_documents)
        {
            var json = JsonNode.Parse(await TextAsync(name))!;
            foreach (var (pointer, node) in Objects(json, $"{name}#"))
            {
                if (node["type"] is JsonArray types)
                {
                    var kinds = types.Select(t => t!.GetValue<string>()).ToList();
                    if (kinds.Contains("string") && (kinds.Contains("integer") || kinds.Contains("number")))
                    {
                        problems.Add($"{pointer}: type [{string.Join(", ", kinds)}]");
                    }
                }

                if (node["in"]?.GetValue<string>() is "query" && node["name"]?.GetValue<string>() is "limit" or "after" or "attempt" or "generation"
                    && TypesOf(node["schema"]) is not ["integer"])
                {
                    problems.Add($"{pointer}: query parameter '{node["name"]}' is not an integer: {node["schema"]?.ToJsonString()}");
                }

                if (node["properties"] is JsonObject properties)
                {
                    foreach (var (property, schema) in properties.Where(p => p.Key is "costUsd" or "maxCostUsd"))
                    {
                        // Money is a decimal number, or (a study's statistics) an object of them: {mean, total}.
                        var money = Resolve(schema, json["components"]?["schemas"] as JsonObject);
                        var amounts = money?["properties"] is JsonObject parts ? parts.Select(p => p.Value).ToList() : [money];
                        if (amounts.Any(a => !TypesOf(a).Contains("number") || a?["format"]?.GetValue<string>() != "decimal"))
                        {
                            problems.Add($"{pointer}/properties/{property}: money must be a number of format decimal: {money?.ToJsonString()}");
                        }
                    }
                }
            }
        }

        problems.ShouldBeEmpty(string.Join("\n", problems));
    }

    [Fact]
    public async Task Every_state_has_its_values_as_an_enum()
    {
        var problems = new List<string>();
        var states = 0;
        foreach (var name in s_documents)
        {
            var json = JsonNode.Parse(await TextAsync(name))!;
            var components = json["components"]?["schemas"] as JsonObject;
            foreach (var (pointer, node) in Objects(json, $"{name}#"))
            {
                var state = node["properties"]?["state"] ?? (node["in"] is not null && node["name"]?.GetValue<string>() == "state" ? node["schema"] : null);
                if (state is null)
                {
                    continue;
                }

                states++;
                if (EnumOf(state, components) is not { Count: > 1 })
                {
                    problems.Add($"{pointer}: state has no enum: {state.ToJsonString()}");
                }
            }
        }

        problems.ShouldBeEmpty(string.Join("\n", problems));
        states.ShouldBeGreaterThan(10, "the documents lost their states");
    }

    [Fact]
    public async Task A_resource_has_one_path_parameter_name_in_every_document()
    {
        var names = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var name in s_documents)
        {
            foreach (var path in (await DocumentAsync(name)).Paths.Keys)
            {
                var segments = path.Split('/');
                for (var i = 0; i < segments.Length; i++)
                {
                    if (segments[i].StartsWith('{'))
                    {
                        // The resource is what comes before the parameter, other parameters blanked: /api/runs/{}/artifacts/ → phaseKey.
                        var resource = string.Join('/', segments.Take(i).Select(s => s.StartsWith('{') ? "{}" : s));
                        (names.TryGetValue(resource, out var known) ? known : names[resource] = []).Add($"{segments[i]} ({name})");
                    }
                }
            }
        }

        names.Where(n => n.Value.Select(v => v[..v.IndexOf(' ', StringComparison.Ordinal)]).Distinct().Count() > 1)
            .Select(n => $"{n.Key}/: {string.Join(", ", n.Value.Order(StringComparer.Ordinal))}")
            .ShouldBeEmpty();
        names["/api/runs"].Select(v => v[..v.IndexOf(' ', StringComparison.Ordinal)]).Distinct().ShouldBe(["{runId}"]);
        names["/api/runs"].Count.ShouldBeGreaterThan(1, "runs are named in the orchestrator's and the report service's documents");
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Every_error_is_the_one_shared_problem_shape(string name)
    {
        var json = JsonNode.Parse(await TextAsync(name))!;
        var problem = json["components"]!["schemas"]!["ProblemDetails"]!;
        problem["properties"]!.AsObject().Select(p => p.Key)
            .ShouldBe(["type", "title", "status", "detail", "instance", "code", "errors", "traceId"], ignoreOrder: true);
        problem["properties"]!["status"]!["type"]!.GetValue<string>().ShouldBe("integer");
        problem["properties"]!["code"]!["type"]!.GetValue<string>().ShouldBe("string");
        problem["properties"]!["errors"]!["items"]!["properties"]!.AsObject().Select(p => p.Key).ShouldBe(["path", "message"], ignoreOrder: true);
        problem["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("code");

        var problems = new List<string>();
        foreach (var (path, item) in json["paths"]!.AsObject())
        {
            foreach (var method in s_methods.Where(m => item![m] is not null))
            {
                foreach (var (status, response) in item![method]!["responses"]!.AsObject())
                {
                    var content = response!["content"] as JsonObject;
                    if (content?["application/problem+json"] is { } media && media["schema"]?["$ref"]?.GetValue<string>() != ProblemReference)
                    {
                        problems.Add($"{method} {path} {status}: problem+json that is not {ProblemReference}");
                    }

                    // An error without a body of its own is a problem (health's 503 and an artifact's 412 have theirs or none).
                    if (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) >= 400 && content is not null
                        && content.ContainsKey("application/json") && !path.StartsWith("/health/", StringComparison.Ordinal))
                    {
                        problems.Add($"{method} {path} {status}: an error as application/json");
                    }
                }
            }
        }

        problems.ShouldBeEmpty(string.Join("\n", problems));
    }

    [Fact]
    public async Task The_documents_are_listed_where_the_gateway_lists_them()
    {
        using var page = await fixture.Mesh.GatewayClient(null).GetAsync("/docs");
        var html = await page.Content.ReadAsStringAsync();

        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var name in s_documents)
        {
            html.ShouldContain(name);
        }
    }

    /// <summary>
    /// What an operation must declare, from its endpoint's metadata; <paramref name="forwarded"/>: a service's endpoint,
    /// reached through the gateway (else one the gateway answers itself).
    /// </summary>
    private static IEnumerable<string> CheckOperation(string where, RouteEndpoint endpoint, OpenApiOperation operation, bool forwarded)
    {
        var metadata = endpoint.Metadata;
        var declared = operation.Responses?.Keys.Select(int.Parse).ToHashSet() ?? [];
        var expected = metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(r => r.StatusCode).ToHashSet();
        if (metadata.GetMetadata<IAllowAnonymous>() is null)
        {
            expected.Add(StatusCodes.Status401Unauthorized);
            if (metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => !string.IsNullOrEmpty(a.Policy)))
            {
                expected.Add(StatusCodes.Status403Forbidden);
            }
        }

        // An /api/ endpoint refuses a query parameter it does not take, and the gateway a header it cannot forward (400);
        // every endpoint may fail (500) or lose what it depends on (503); the gateway limits the rate (429) and, where it
        // forwards, may not reach the service (502, 503, 504).
        expected.UnionWith([StatusCodes.Status400BadRequest, StatusCodes.Status429TooManyRequests,
            StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable]);
        if (forwarded)
        {
            expected.UnionWith(s_gatewayAnswers);
        }

        var handler = metadata.GetMetadata<MethodInfo>()!;
        // Signing out takes the context for its cookie and reads no body.
        var signsOut = metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "Logout";
        var readsBody = !signsOut && handler.GetParameters().Any(p => p.ParameterType == typeof(HttpRequest) || p.ParameterType == typeof(HttpContext)
            || p.GetCustomAttribute<FromBodyAttribute>() is not null);
        if (metadata.GetMetadata<RequestBodyMetadata>() is { } body)
        {
            expected.UnionWith([StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType]);
            if (operation.RequestBody?.Content is not { } content)
            {
                yield return $"{where}: no request body";
            }
            else
            {
                foreach (var mediaType in body.JsonMediaTypes.Concat(body.TextMediaTypes))
                {
                    if (!content.TryGetValue(mediaType, out var media) || media.Schema is null)
                    {
                        yield return $"{where}: no schema for a {mediaType} body";
                    }
                }

                if (operation.RequestBody.Required != body.Required)
                {
                    yield return $"{where}: the body is {(body.Required ? "required" : "optional")}, the document says otherwise";
                }
            }
        }
        else if (readsBody && HttpMethods.IsPost(metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods[0])
            && operation.RequestBody?.Content is not { Count: > 0 })
        {
            yield return $"{where}: a POST whose handler reads the request declares no body (.AcceptsJsonBody or .AcceptsDocumentBody)";
        }
        else if (operation.RequestBody?.Content is { } framework && framework.Values.Any(m => m.Schema is null))
        {
            yield return $"{where}: a body without a schema";
        }

        foreach (var status in expected.Where(s => !declared.Contains(s)).Order())
        {
            yield return $"{where}: answers {status}, which the document does not declare";
        }

        if (!declared.Any(s => s is >= 200 and < 300))
        {
            yield return $"{where}: no success answer";
        }

        foreach (var problem in metadata.GetOrderedMetadata<ProblemResponseMetadata>())
        {
            var description = operation.Responses![problem.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)].Description ?? "";
            foreach (var code in problem.Codes.Where(c => !description.Contains($"`{c}`", StringComparison.Ordinal)))
            {
                yield return $"{where}: {problem.StatusCode} does not name its code {code}";
            }
        }
    }

    private static bool IsDescribed(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<MethodInfo>() is not null
        && endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true };

    /// <summary>The path as a document writes it: parameters by name, without constraints.</summary>
    private static string PathOf(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            _ => "",
        }))));

    private static IEnumerable<(string Pointer, JsonObject Node)> Objects(JsonNode node, string pointer)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return (pointer, obj);
                foreach (var (key, value) in obj)
                {
                    foreach (var inner in value is null ? [] : Objects(value, $"{pointer}/{key.Replace("/", "~1", StringComparison.Ordinal)}"))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var inner in array[i] is null ? [] : Objects(array[i]!, $"{pointer}/{i}"))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    private static List<string> TypesOf(JsonNode? schema) => schema?["type"] switch
    {
        JsonArray array => [.. array.Select(t => t!.GetValue<string>())],
        JsonValue value => [value.GetValue<string>()],
        _ => [],
    };

    private static JsonNode? Resolve(JsonNode? schema, JsonObject? components) =>
        schema?["$ref"]?.GetValue<string>() is { } reference ? components?[reference["#/components/schemas/".Length..]] : schema;

    /// <summary>The enum of a schema, following a <c>$ref</c> and a nullable <c>oneOf</c>.</summary>
    private static JsonArray? EnumOf(JsonNode schema, JsonObject? components) =>
        schema["enum"] as JsonArray
        ?? (schema["$ref"]?.GetValue<string>() is { } reference && components?[reference["#/components/schemas/".Length..]] is { } target
            ? EnumOf(target, components)
            : schema["oneOf"] is JsonArray alternatives
                ? alternatives.Select(a => a is null ? null : EnumOf(a, components)).FirstOrDefault(e => e is not null)
                : null);

    private async Task<string> TextAsync(string name)
    {
        using var response = await fixture.Mesh.GatewayClient(null).GetAsync($"/openapi/{name}.json");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return text;
    }

    private async Task<OpenApiDocument> DocumentAsync(string name) =>
        OpenApiDocument.Parse(await TextAsync(name), "json").Document ?? throw new InvalidOperationException($"{name}.json did not read.");
}
