using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// <c>/api/templates</c>: register a template (admin; JSON or YAML), list them and read one (viewer).
/// Every refusal is problem+json with a stable <c>code</c> (docs/templates.md, "REST API").
/// </summary>
public static class TemplatesApi
{
    private static readonly string[] s_jsonMediaTypes = ["application/json"];
    private static readonly string[] s_yamlMediaTypes = ["application/yaml", "text/yaml", "application/x-yaml"];
    private static readonly string[] s_mediaTypes = [.. s_jsonMediaTypes, .. s_yamlMediaTypes];
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Maps the templates endpoints.</summary>
    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/templates").WithTags("Templates");

        api.MapPost("/", RegisterAsync)
            .WithName("RegisterTemplate")
            .WithSummary("Register a workflow template (JSON or YAML)")
            .RequireAuthorization(Roles.Admin)
            // Not .Accepts(…): its routing policy would answer another media type with an empty 415, not a problem.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The template, as JSON or YAML (docs/templates.md).",
                    Content = s_mediaTypes.ToDictionary(
                        type => type, _ => new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } }),
                };
                return Task.CompletedTask;
            })
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        api.MapGet("/", ListAsync)
            .WithName("ListTemplates")
            .WithSummary("List registered templates, newest first")
            .RequireAuthorization(Roles.Viewer)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/{name}/{version}", GetAsync)
            .WithName("GetTemplate")
            .WithSummary("Read a registered template")
            .RequireAuthorization(Roles.Viewer)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    private static async Task<Results<Created<TemplateSummary>, Ok<TemplateSummary>, ProblemHttpResult>> RegisterAsync(
        HttpRequest request, ClaimsPrincipal user, TemplateRegistry registry, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !s_mediaTypes.Contains(contentType.MediaType.Value, StringComparer.OrdinalIgnoreCase)
            || (contentType.Charset.HasValue && !contentType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return Problem(
                StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type",
                $"A template is sent as {string.Join(", ", s_mediaTypes)} (UTF-8); got '{request.ContentType ?? "no content type"}'.");
        }

        var body = await ReadBodyAsync(request, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var registration = await registry.RegisterAsync(body.Text!, contentType.MediaType.Value, user.Identity?.Name, cancellationToken);
        return registration.Outcome switch
        {
            TemplateRegistrationOutcome.Created => TypedResults.Created(
                $"/api/templates/{Uri.EscapeDataString(registration.Summary!.Name)}/{registration.Summary.Version.ToString(CultureInfo.InvariantCulture)}",
                registration.Summary),
            TemplateRegistrationOutcome.Unchanged => TypedResults.Ok(registration.Summary),
            TemplateRegistrationOutcome.Unreadable => TypedResults.Problem(ProblemResponses.Create(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                "The body could not be read as a template (a JSON object or a YAML mapping); see errors.", registration.Problems!)),
            TemplateRegistrationOutcome.Invalid => TypedResults.Problem(ProblemResponses.Create(
                StatusCodes.Status400BadRequest, TemplateProblemCodes.InvalidTemplate, "Invalid template",
                $"The template has {registration.Problems!.Count} problem(s); errors lists every one.", registration.Problems)),
            TemplateRegistrationOutcome.Conflict => Problem(
                StatusCodes.Status409Conflict, TemplateProblemCodes.TemplateConflict, "Template conflict",
                $"{registration.Reference} is already registered with hash {registration.RegisteredHash}; this content has hash "
                + $"{registration.Hash}. A registered template never changes: register the new content under another version.",
                ("registeredHash", registration.RegisteredHash)),
            _ => throw new InvalidOperationException($"Unknown registration outcome {registration.Outcome}."),
        };
    }

    private static async Task<Results<Ok<TemplatePage>, ProblemHttpResult>> ListAsync(
        string? limit, string? cursor, TemplateRegistry registry, CancellationToken cancellationToken)
    {
        var size = TemplateRegistry.DefaultPageSize;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > TemplateRegistry.MaxPageSize))
        {
            return Problem(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                $"limit must be an integer from 1 to {TemplateRegistry.MaxPageSize}; got '{limit}'.");
        }

        TemplateCursor? after = null;
        if (cursor is not null)
        {
            if (!TemplateCursor.TryDecode(cursor, out var decoded))
            {
                return Problem(
                    StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                    "cursor is not one this API issued: pass the nextCursor of the previous page as it is.");
            }

            after = decoded;
        }

        return TypedResults.Ok(await registry.ListAsync(size, after, cancellationToken));
    }

    private static async Task<Results<Ok<TemplateDetails>, ProblemHttpResult>> GetAsync(
        string name, string version, TemplateRegistry registry, CancellationToken cancellationToken)
    {
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return Problem(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                $"A template version is a positive integer (e.g. /api/templates/{name}/1); got '{version}'.");
        }

        var template = await registry.GetAsync(name, number, cancellationToken);
        return template is null
            ? Problem(
                StatusCodes.Status404NotFound, TemplateProblemCodes.TemplateNotFound, "Template not found",
                $"No template is registered as {name}@{number}.")
            : TypedResults.Ok(template);
    }

    /// <summary>The body as UTF-8 text, read no further than the template size limit.</summary>
    private static async Task<(string? Text, ProblemHttpResult? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var tooLarge = Problem(
            StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large",
            $"A template is at most {TemplateLimits.MaxTemplateBytes / 1024} KiB.");
        if (request.ContentLength > TemplateLimits.MaxTemplateBytes)
        {
            return (null, tooLarge);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > TemplateLimits.MaxTemplateBytes)
            {
                return (null, tooLarge);
            }
        }

        string text;
        try
        {
            text = s_strictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return (null, Problem(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", "The body is not valid UTF-8."));
        }

        return string.IsNullOrWhiteSpace(text)
            ? (null, Problem(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                "The body is empty: send the template as JSON or YAML."))
            : (text, null);
    }

    private static ProblemHttpResult Problem(int status, string code, string title, string detail, params (string Name, object? Value)[] extensions)
    {
        var problem = ProblemResponses.Create(status, code, title, detail);
        foreach (var (name, value) in extensions)
        {
            problem.Extensions[name] = value;
        }

        return TypedResults.Problem(problem);
    }
}
