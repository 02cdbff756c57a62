using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;
using RunMesh.Report.Persistence;

namespace RunMesh.Report.Reports.Api;

/// <summary>
/// A run's report (JSON and Markdown) and provenance manifest (role viewer). Each serves the latest generation, or the
/// one named by <c>?generation=N</c>; until a report is written the answer is 404 <c>report_not_found</c>.
/// </summary>
public static class ReportsApi
{
    /// <summary>The problem code of a run (or generation) that has no report yet.</summary>
    public const string ReportNotFound = "report_not_found";

    /// <summary>Maps <c>GET /api/runs/{runId}/report</c>, <c>/report.md</c> and <c>/manifest</c>.</summary>
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs").WithTags("Reports").RequireAuthorization(Roles.Viewer);

        runs.MapGet("/{runId}/report", GetReportAsync)
            .WithName("GetRunReport")
            .WithSummary("The run's report as JSON: state, error, phases, usage, last events, its manifest and child runs.")
            .Produces<RunReportDocument>(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ReportNotFound);
        runs.MapGet("/{runId}/report.md", GetMarkdownAsync)
            .WithName("GetRunReportMarkdown")
            .WithSummary("The run's report as Markdown, for people.")
            .WithDescription("Its first line is `# Run {runId}: {state}`.")
            .Produces<string>(StatusCodes.Status200OK, contentType: "text/markdown")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ReportNotFound);
        runs.MapGet("/{runId}/manifest", GetManifestAsync)
            .WithName("GetRunManifest")
            .WithSummary("The run's provenance manifest, its digest, and its child runs (outside the digest).")
            .Produces<ManifestResponse>(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ReportNotFound);
        return app;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetReportAsync(
        [DocumentedAs(typeof(Guid))] string runId, [DocumentedAs(typeof(int), Minimum = 1)] string? generation, ReportDbContext db,
        CancellationToken cancellationToken)
    {
        var (found, problem) = await FindAsync(runId, generation, db, r => new { r.RunId, r.ReportJson }, cancellationToken);
        if (found is null)
        {
            return problem!;
        }

        var report = JsonNode.Parse(found.ReportJson)!.AsObject();
        report["children"] = Children(await ChildrenOfAsync(db, found.RunId, cancellationToken));
        return TypedResults.Content(report.ToJsonString(), "application/json");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetMarkdownAsync(
        [DocumentedAs(typeof(Guid))] string runId, [DocumentedAs(typeof(int), Minimum = 1)] string? generation, ReportDbContext db,
        CancellationToken cancellationToken)
    {
        var (found, problem) = await FindAsync(runId, generation, db, r => new { r.RunId, r.ReportMarkdown }, cancellationToken);
        if (found is null)
        {
            return problem!;
        }

        var children = ChildRunEdges.From(await ChildrenOfAsync(db, found.RunId, cancellationToken));
        return TypedResults.Text(found.ReportMarkdown + ChildRunEdges.Markdown(children), "text/markdown; charset=utf-8");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetManifestAsync(
        [DocumentedAs(typeof(Guid))] string runId, [DocumentedAs(typeof(int), Minimum = 1)] string? generation, ReportDbContext db,
        CancellationToken cancellationToken)
    {
        var (found, problem) = await FindAsync(runId, generation, db, r => new { r.RunId, r.Manifest, r.ManifestDigest }, cancellationToken);
        if (found is null)
        {
            return problem!;
        }

        // The manifest is stored canonical and parsed without reformatting numbers, so a client that canonicalizes
        // what it receives gets the stored bytes, and their sha256 is manifestDigest.
        var body = new JsonObject
        {
            ["manifest"] = JsonNode.Parse(found.Manifest),
            ["manifestDigest"] = found.ManifestDigest,
            ["children"] = Children(await ChildrenOfAsync(db, found.RunId, cancellationToken)),
        };
        return TypedResults.Content(body.ToJsonString(), "application/json");
    }

    /// <summary>The report row of run <paramref name="runId"/> (latest generation, or <paramref name="generation"/>), projected.</summary>
    private static async Task<(T? Found, ProblemHttpResult? Problem)> FindAsync<T>(
        string runId, string? generation, ReportDbContext db, System.Linq.Expressions.Expression<Func<ReportRecord, T>> projection,
        CancellationToken cancellationToken)
        where T : class
    {
        if (!Guid.TryParse(runId, out var id))
        {
            return (null, InvalidRequest("The run id in the path must be a UUID (e.g. 0b5c2f0e-8d3a-4f7e-9a59-2f1c6f3f9f5e)."));
        }

        int? wanted = null;
        if (generation is not null)
        {
            if (!int.TryParse(generation, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                return (null, InvalidRequest("Query parameter 'generation' must be a positive integer."));
            }

            wanted = number;
        }

        var rows = db.Reports.AsNoTracking().Where(r => r.RunId == id);
        rows = wanted is { } g ? rows.Where(r => r.Generation == g) : rows.OrderByDescending(r => r.Generation);
        var found = await rows.Select(projection).FirstOrDefaultAsync(cancellationToken);
        if (found is not null)
        {
            return (found, null);
        }

        var detail = wanted is { } n
            ? $"Run '{runId}' has no report of generation {n}: that generation has not finished, or does not exist."
            : $"Run '{runId}' has no report yet: a report is written when the run reaches a terminal state (or the run does not exist).";
        return (null, Problem(StatusCodes.Status404NotFound, ReportNotFound, "Report not found", detail));
    }

    private static Task<List<ChildReportRow>> ChildrenOfAsync(ReportDbContext db, Guid parentRunId, CancellationToken cancellationToken) =>
        db.Reports.AsNoTracking()
            .Where(r => r.ParentRunId == parentRunId)
            .Select(r => new ChildReportRow(r.RunId, r.Generation, r.State, r.TemplateName, r.TemplateVersion, r.ManifestDigest, r.EndedAt))
            .ToListAsync(cancellationToken);

    private static JsonArray Children(IEnumerable<ChildReportRow> rows) =>
        new(ChildRunEdges.From(rows).Select(edge => (JsonNode?)new JsonObject
        {
            ["runId"] = edge.RunId.ToString(),
            ["generation"] = edge.Generation,
            ["state"] = edge.State,
            ["template"] = edge.Template,
            ["manifestDigest"] = edge.ManifestDigest,
            ["endedAt"] = RunManifest.Timestamp(edge.EndedAt),
            ["reportUrl"] = edge.ReportUrl,
        }).ToArray());

    private static ProblemHttpResult InvalidRequest(string detail) =>
        Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", detail);

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));
}
