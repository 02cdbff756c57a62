using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.ApiDocuments;

/// <summary>
/// A document as the gateway serves it (its own and each service's): requests go to the gateway — its configured
/// public URL, or (no <c>servers</c>) wherever the document was read, never the request's <c>Host</c> — with an API key
/// (the <c>apiKey</c> scheme, on every operation that answers 401), and every operation declares what the gateway
/// itself may answer on the way: 429 from the rate limits (all but <c>/health/*</c> and <c>/metrics</c>), 400
/// <c>invalid_header</c>, and for a forwarded operation 502, 503 and 504 (docs/gateway.md, "Errors").
/// </summary>
internal static partial class GatewayDocuments
{
    public const string ApiKeyScheme = "apiKey";

    /// <summary>The extension that names the service a gateway route forwards to.</summary>
    public const string ForwardedTo = "x-forwarded-to";

    private static readonly string[] s_methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    /// <summary>Rewrites <paramref name="document"/> for the gateway; <paramref name="service"/>: the service whose document it is (every operation forwarded to it), or null for the gateway's own.</summary>
    public static JsonObject ForGateway(JsonObject document, string? publicUrl, string? service)
    {
        if (document["info"] is JsonObject info)
        {
            info["title"] = service is null ? "RunMesh gateway" : $"RunMesh {service} API";
        }

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
            ["description"] = "A RunMesh API key; its role decides what it may do (viewer < submitter < approver < admin). "
                + "`Authorization: Bearer <key>` works too.",
        };
        document.Remove("security");

        foreach (var (path, item) in document["paths"] as JsonObject ?? [])
        {
            foreach (var method in s_methods)
            {
                if (item?[method] is JsonObject operation)
                {
                    AddGatewayAnswers(path, operation, service is not null);
                }
            }
        }

        return document;
    }

    private static void AddGatewayAnswers(string path, JsonObject operation, bool forwarded)
    {
        var responses = operation["responses"] as JsonObject ?? [];
        operation["responses"] = responses;
        if (responses.ContainsKey("401"))
        {
            operation["security"] = new JsonArray(new JsonObject { [ApiKeyScheme] = new JsonArray() });
        }

        // Health probes and scrapes are neither limited nor forwarded.
        if (path.StartsWith("/health/", StringComparison.Ordinal) || path == "/metrics")
        {
            return;
        }

        AddProblem(responses, StatusCodes.Status400BadRequest, ProblemCodes.InvalidHeader);
        AddProblem(responses, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited);
        if (forwarded || operation.ContainsKey(ForwardedTo))
        {
            AddProblem(responses, StatusCodes.Status502BadGateway, ProblemCodes.BadGateway);
            AddProblem(responses, StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable);
            AddProblem(responses, StatusCodes.Status504GatewayTimeout, ProblemCodes.GatewayTimeout);
        }

        var ordered = responses.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, Value: r.Value?.DeepClone())).ToList();
        responses.Clear();
        foreach (var (status, response) in ordered)
        {
            responses[status] = response;
        }
    }

    /// <summary>Declares <paramref name="status"/> with <paramref name="code"/>, next to the codes the service declares for it.</summary>
    private static void AddProblem(JsonObject responses, int status, string code)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        var codes = responses[key]?["description"]?.GetValue<string>() is { } description
            ? ProblemCode().Matches(description).Select(m => m.Groups[1].Value).ToList()
            : [];
        codes.Add(code);
        responses[key] = new JsonObject
        {
            ["description"] = ApiErrorResponses.Describe(status, codes),
            ["content"] = new JsonObject
            {
                [ApiDocumentConventions.ProblemContentType] = new JsonObject
                {
                    ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{ApiDocumentConventions.ProblemSchemaId}" },
                },
            },
        };
    }

    [GeneratedRegex("`([a-z0-9_]+)`")]
    private static partial Regex ProblemCode();
}
