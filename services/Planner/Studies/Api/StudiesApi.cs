using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Documents;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Paging;
using RunMesh.Hosting.Problems;
using RunMesh.Planner.Persistence;
using RunMesh.Planner.Studies.Definition;
using RunMesh.Planner.Studies.Results;

namespace RunMesh.Planner.Studies.Api;

/// <summary>
/// <c>/api/studies</c>: start (or resume, or dry-run) a study from its definition, list and read studies with their
/// per-condition statistics, their runs table (NDJSON, CSV, Parquet), their progress stream, and cancel one.
/// </summary>
internal static class StudiesApi
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 200;

    private static readonly DocumentLimits s_limits = new("study definition", StudyLimits.MaxDefinitionBytes, StudyLimits.MaxDepth);

    public static IEndpointRouteBuilder MapStudiesApi(this IEndpointRouteBuilder app)
    {
        var studies = app.MapGroup("/api/studies").WithTags("Studies");

        studies.MapPost("/", StartAsync)
            .WithName("StartStudy")
            .WithSummary("Start a study (JSON or YAML); ?dryRun=true answers the plan and starts nothing.")
            .WithDescription("202 when the study starts; 200 for a dry run, and for a definition submitted before (the same study, "
                + "resumed if it had ended failed, cancelled or budget_exhausted).")
            .RequireAuthorization(Roles.Submitter)
            .AcceptsDocumentBody<StudyDefinitionDocument>("The study definition, as JSON or YAML (docs/studies.md).")
            .Produces<StudyPlanView>(StatusCodes.Status202Accepted)
            .Produces<StudyPlanView>(StatusCodes.Status200OK)
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, StudyProblemCodes.InvalidStudy)
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, StudyProblemCodes.TemplatesUnavailable);
        studies.MapGet("/", ListAsync)
            .WithName("ListStudies")
            .WithSummary("Studies, newest first, filtered by state and labels.")
            .RequireAuthorization(Roles.Viewer)
            .Produces<StudyPage>(StatusCodes.Status200OK);
        studies.MapGet("/{studyId}", GetAsync)
            .WithName("GetStudy")
            .WithSummary("A study: state, counts, usage and per-condition statistics.")
            .RequireAuthorization(Roles.Viewer)
            .Produces<StudyDetailsView>(StatusCodes.Status200OK)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, StudyProblemCodes.StudyNotFound);
        studies.MapGet("/{studyId}/runs", GetRunsAsync)
            .WithName("GetStudyRuns")
            .WithSummary("The study's runs table: NDJSON (default), CSV or Parquet by Accept.")
            .Produces<string>(StatusCodes.Status200OK, "application/x-ndjson", "text/csv")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(byte[]), ["application/vnd.apache.parquet"]))
            .RequireAuthorization(Roles.Viewer)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, StudyProblemCodes.StudyNotFound)
            .ProducesProblemCodes(StatusCodes.Status406NotAcceptable, ProblemCodes.NotAcceptable);
        studies.MapGet("/{studyId}/events/stream", StreamAsync)
            .WithName("StreamStudyEvents")
            .WithSummary("The study's progress as Server-Sent Events, until it ends.")
            .RequireAuthorization(Roles.Viewer)
            .Produces<string>(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, StudyProblemCodes.StudyNotFound);
        studies.MapPost("/{studyId}/cancel", CancelAsync)
            .WithName("CancelStudy")
            .WithSummary("Cancel a study: no run starts any more, its running runs are cancelled.")
            .RequireAuthorization(Roles.Submitter)
            .Produces<StudyCommandAnswer>(StatusCodes.Status202Accepted)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, StudyProblemCodes.StudyNotFound)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, StudyProblemCodes.StudyNotCancellable);
        return app;
    }

    private static async Task<IResult> StartAsync(
        HttpRequest request, [DocumentedAs(typeof(bool))] string? dryRun, ClaimsPrincipal user, StudyAdmission admission, PlannerDbContext db, IPublishEndpoint publish,
        CancellationToken cancellationToken)
    {
        var isDryRun = false;
        if (dryRun is not null && !bool.TryParse(dryRun, out isDryRun))
        {
            return InvalidRequest("Query parameter 'dryRun' must be true or false.");
        }

        var body = await DocumentBody.ReadAsync(request, s_limits, cancellationToken);
        if (body.Problem is { } refused)
        {
            return refused;
        }

        var document = ObjectDocument.Parse(body.Text!, body.MediaType, s_limits);
        if (document.Json is not { } json)
        {
            return TypedResults.Problem(ProblemResponses.Create(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request",
                "The body could not be read as a study definition (a JSON object or a YAML mapping); see errors.", document.Problems));
        }

        // The bus outbox: StartRun messages leave only when admission's transaction commits.
        var outcome = await admission.AdmitAsync(json, user.Identity?.Name, isDryRun, publish, cancellationToken);
        return outcome switch
        {
            StudyAdmissionOutcome.Invalid invalid => TypedResults.Problem(ProblemResponses.Create(
                StatusCodes.Status400BadRequest, StudyProblemCodes.InvalidStudy, "Invalid study",
                $"The study definition has {invalid.Problems.Count} problem(s); errors lists every one.", invalid.Problems)),
            StudyAdmissionOutcome.TemplateUnknowable unknowable => TypedResults.Problem(ProblemResponses.Create(
                StatusCodes.Status503ServiceUnavailable, StudyProblemCodes.TemplatesUnavailable, "Templates unavailable",
                $"The study cannot be checked now: {unknowable.Reason}. Try again shortly.")),
            StudyAdmissionOutcome.Planned planned => TypedResults.Json(StudyViews.Plan(planned.Plan, state: null, dryRun: true)),
            StudyAdmissionOutcome.Created created => TypedResults.Json(StudyViews.Plan(created.Plan, created.Study.State, dryRun: false),
                statusCode: StatusCodes.Status202Accepted),
            StudyAdmissionOutcome.Existing existing => TypedResults.Json(StudyViews.Plan(existing.Plan, existing.Study.State, dryRun: false)),
            StudyAdmissionOutcome.Resumed resumed => TypedResults.Json(StudyViews.Plan(resumed.Plan, resumed.Study.State, dryRun: false)),
            _ => throw new InvalidOperationException($"Unknown admission outcome {outcome.GetType().Name}."),
        };
    }

    private static async Task<IResult> ListAsync(
        [DocumentedAs(typeof(StudyState))] string? state, string[]? label,
        [DocumentedAs(typeof(int), Minimum = 1, Maximum = MaxPageSize)] string? limit, string? cursor, PlannerDbContext db,
        CancellationToken cancellationToken)
    {
        StudyState? wanted = null;
        if (state is not null)
        {
            wanted = Enum.GetValues<StudyState>().Cast<StudyState?>().FirstOrDefault(s => StudyStates.ToJson(s!.Value) == state);
            if (wanted is null)
            {
                return InvalidRequest($"Query parameter 'state' must be one of {string.Join(", ", Enum.GetValues<StudyState>().Select(StudyStates.ToJson))}.");
            }
        }

        var pageSize = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            return InvalidRequest($"Query parameter 'limit' must be an integer from 1 to {MaxPageSize}.");
        }

        var after = cursor is null ? null : KeysetCursor.Decode(cursor);
        if (cursor is not null && after is null)
        {
            return InvalidRequest("Query parameter 'cursor' is not a cursor this API returned.");
        }

        var query = db.Studies.AsNoTracking();
        foreach (var pair in label ?? [])
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return InvalidRequest($"Query parameter 'label' must be key:value (got '{pair}').");
            }

            // Containment on the jsonb column, answered by its GIN index; each label narrows the query further.
            var contained = new JsonObject { [pair[..colon]] = pair[(colon + 1)..] }.ToJsonString();
            var labelled = db.Studies.FromSql($"SELECT * FROM studies WHERE labels @> {contained}::jsonb").Select(s => s.CorrelationId);
            query = query.Where(s => labelled.Contains(s.CorrelationId));
        }

        if (wanted is { } w)
        {
            var name = w.ToString();
            query = query.Where(s => s.CurrentState == name);
        }

        if (after is { } a)
        {
            query = query.Where(s => s.CreatedAt < a.CreatedAt || (s.CreatedAt == a.CreatedAt && s.CorrelationId.CompareTo(a.Id) < 0));
        }

        var rows = await query.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.CorrelationId).Take(pageSize + 1).ToListAsync(cancellationToken);
        var page = rows.Take(pageSize).ToList();
        var next = rows.Count > pageSize ? new KeysetCursor(page[^1].CreatedAt, page[^1].CorrelationId).Encode() : null;
        return TypedResults.Json(new StudyPage([.. page.Select(StudyViews.Summary)], next));
    }

    private static async Task<IResult> GetAsync([DocumentedAs(typeof(Guid))] string studyId, PlannerDbContext db, CancellationToken cancellationToken)
    {
        if (await FindAsync(studyId, db, cancellationToken) is not { } study)
        {
            return NotFound(studyId);
        }

        var runs = await db.StudyRuns.AsNoTracking().Where(r => r.StudyId == study.CorrelationId).OrderBy(r => r.PlanIndex).ToListAsync(cancellationToken);
        return TypedResults.Json(StudyViews.Details(study, runs));
    }

    private static async Task<IResult> GetRunsAsync(
        [DocumentedAs(typeof(Guid))] string studyId, HttpContext context, PlannerDbContext db, CancellationToken cancellationToken)
    {
        if (await FindAsync(studyId, db, cancellationToken) is not { } study)
        {
            return NotFound(studyId);
        }

        if (StudyResultFormats.ForAccept(context.Request.Headers.Accept.ToString()) is not { } writer)
        {
            return TypedResults.Problem(ProblemResponses.Create(StatusCodes.Status406NotAcceptable, ProblemCodes.NotAcceptable, "Not acceptable",
                $"The runs table is served as {string.Join(", ", StudyResultFormats.All.Select(f => f.ContentType))}."));
        }

        // Every condition's factors (from its first replicate) type the Parquet factor columns.
        var conditions = await db.StudyRuns.AsNoTracking().Where(r => r.StudyId == study.CorrelationId && r.Replicate == 1)
            .Select(r => r.Factors).ToListAsync(cancellationToken);
        var table = StudyRunsTable.For(study.FactorKeys, conditions);
        var rows = db.StudyRuns.AsNoTracking().Where(r => r.StudyId == study.CorrelationId).OrderBy(r => r.PlanIndex).AsAsyncEnumerable();
        return Microsoft.AspNetCore.Http.Results.Stream(
            output => writer.WriteAsync(table, rows, output, cancellationToken),
            writer.ContentType,
            fileDownloadName: $"study-{study.CorrelationId}.{writer.FileExtension}");
    }

    private static async Task<IResult> StreamAsync(
        [DocumentedAs(typeof(Guid))] string studyId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, PlannerDbContext db,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(studyId, db, cancellationToken) is not { } study)
        {
            return NotFound(studyId);
        }

        long last = 0;
        if (lastEventId is { Length: > 0 } header
            && (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out last)))
        {
            return InvalidRequest("Header 'Last-Event-ID' must be the seq of the last event seen (a non-negative integer).");
        }

        return new StudyEventStream(study.CorrelationId, last);
    }

    private static async Task<IResult> CancelAsync(
        [DocumentedAs(typeof(Guid))] string studyId, ClaimsPrincipal user, PlannerDbContext db, IPublishEndpoint publish,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(studyId, db, cancellationToken) is not { } study)
        {
            return NotFound(studyId);
        }

        if (study.EndedAt is not null)
        {
            return TypedResults.Problem(ProblemResponses.Create(StatusCodes.Status409Conflict, StudyProblemCodes.StudyNotCancellable, "Study has ended",
                $"Study {study.CorrelationId} is {StudyStates.ToJson(study.State)}; only a running study can be cancelled."));
        }

        await publish.Publish(new CancelStudy { StudyId = study.CorrelationId, RequestedBy = user.Identity?.Name }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Json(new StudyCommandAnswer(study.CorrelationId, study.State), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<StudyRecord?> FindAsync(string studyId, PlannerDbContext db, CancellationToken cancellationToken) =>
        Guid.TryParse(studyId, out var id)
            ? await db.Studies.AsNoTracking().SingleOrDefaultAsync(s => s.CorrelationId == id, cancellationToken)
            : null;

    private static ProblemHttpResult NotFound(string studyId) =>
        TypedResults.Problem(ProblemResponses.Create(StatusCodes.Status404NotFound, StudyProblemCodes.StudyNotFound, "Study not found",
            $"There is no study '{studyId}'."));

    private static ProblemHttpResult InvalidRequest(string detail) =>
        TypedResults.Problem(ProblemResponses.Create(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", detail));
}

/// <summary>The <c>code</c>s of the studies API's problems.</summary>
internal static class StudyProblemCodes
{
    public const string InvalidStudy = "invalid_study";
    public const string TemplatesUnavailable = "templates_unavailable";
    public const string StudyNotFound = "study_not_found";
    public const string StudyNotCancellable = "study_not_cancellable";
}
