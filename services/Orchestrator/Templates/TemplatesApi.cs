using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Documents;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// <c>/api/templates</c>: register a template (admin; JSON or YAML), list them and read one (viewer).
/// Every refusal is problem+json with a stable <c>code</c> (docs/templates.md, "REST API").
/// </summary>
public static class TemplatesApi
{
    /// <summary>Maps the templates endpoints.</summary>
    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/templates").WithTags("Templates");

        api.MapPost("/", RegisterAsync)
            .WithName("RegisterTemplate")
            .WithSummary("Register a workflow template (JSON or YAML)")
            .WithDescription("201 when registered; 200 when the same content is registered already under its name and version.")
            .RequireAuthorization(Roles.Admin)
            .AcceptsDocumentBody<TemplateDefinitionDocument>("The template, as JSON or YAML (docs/templates.md).")
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, TemplateProblemCodes.InvalidTemplate)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, TemplateProblemCodes.TemplateConflict);

        api.MapGet("/", ListAsync)
            .WithName("ListTemplates")
            .WithSummary("List registered templates, newest first; ?name= lists the versions of one template")
            .RequireAuthorization(Roles.Viewer);

        api.MapGet("/{name}/{version}", GetAsync)
            .WithName("GetTemplate")
            .WithSummary("Read a registered template")
            .RequireAuthorization(Roles.Viewer)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, TemplateProblemCodes.TemplateNotFound);

        return app;
    }

    private static async Task<Results<Created<TemplateSummary>, Ok<TemplateSummary>, ProblemHttpResult>> RegisterAsync(
        HttpRequest request, ClaimsPrincipal user, TemplateRegistry registry, CancellationToken cancellationToken)
    {
        var body = await DocumentBody.ReadAsync(request, TemplateDocument.Limits, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var registration = await registry.RegisterAsync(body.Text!, body.MediaType, user.Identity?.Name, cancellationToken);
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
        string? name, [DocumentedAs(typeof(int), Minimum = 1, Maximum = TemplateRegistry.MaxPageSize)] string? limit, string? cursor,
        TemplateRegistry registry, CancellationToken cancellationToken)
    {
        if (name is not null && !TemplateValidator.IsTemplateName(name))
        {
            return Problem(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                "Query parameter 'name' must be a template name: 1 to 63 lower-case letters, digits and '-', starting with a letter "
                + "(no version: every version of the name is listed).");
        }

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

        return TypedResults.Ok(await registry.ListAsync(size, after, name, cancellationToken));
    }

    private static async Task<Results<Ok<TemplateDetails>, ProblemHttpResult>> GetAsync(
        string name, [DocumentedAs(typeof(int), Minimum = 1)] string version, TemplateRegistry registry, CancellationToken cancellationToken)
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
