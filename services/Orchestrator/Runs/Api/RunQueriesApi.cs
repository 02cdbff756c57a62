using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Npgsql;
using NpgsqlTypes;
using RunMesh.Contracts;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Paging;
using RunMesh.Hosting.Problems;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>
/// The read side of runs (role viewer): the list, one run, its event log and live event stream, its artifacts. The saga
/// row, the event table and the artifact tables are the read model; nothing here writes.
/// </summary>
public static class RunQueriesApi
{
    private const int DefaultEventLimit = 100;
    private const int MaxEventLimit = 1_000;

    /// <summary>Maps <c>GET /api/runs</c>, <c>/api/runs/{runId}</c>, <c>/events</c>, <c>/events/stream</c> and <c>/artifacts/{phaseKey}</c>.</summary>
    public static IEndpointRouteBuilder MapRunQueriesApi(this IEndpointRouteBuilder app)
    {
        var streamOptions = RunStreamOptions.From(app.ServiceProvider.GetRequiredService<IConfiguration>());
        var runs = app.MapGroup("/api/runs").WithTags("Runs").RequireAuthorization(Roles.Viewer);

        runs.MapGet("/", ListRunsAsync).WithName("ListRuns").WithSummary("Runs, newest first, with keyset paging.");
        runs.MapGet("/{runId}", GetRunAsync).WithName("GetRun").WithSummary("One run (or the run an alias points at).")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound);
        runs.MapGet("/{runId}/events", ListEventsAsync).WithName("ListRunEvents").WithSummary("A page of the run's event log, by seq.")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound);
        runs.MapGet("/{runId}/events/stream", (
                    [DocumentedAs(typeof(Guid))] string runId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, OrchestratorDbContext db,
                    CancellationToken cancellationToken) =>
                StreamEventsAsync(runId, lastEventId, db, streamOptions, cancellationToken))
            .WithName("StreamRunEvents")
            .WithSummary("The run's events as Server-Sent Events, until its terminal event.")
            .WithDescription("`id:` is the event's seq, `event:` its type, `data:` the event as `/events` lists it. Send `Last-Event-ID` to resume "
                + "after that seq; 204 when it is at or past the terminal event of a run that is still terminal.")
            .Produces<string>(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound);
        runs.MapGet("/{runId}/artifacts/{phaseKey}", GetArtifactAsync)
            .WithName("GetRunArtifact")
            .WithSummary("The phase's accepted artifact, or the output of one attempt.")
            .WithDescription("The artifact's JSON as stored; its digest is the `X-Artifact-Digest` header and the `ETag`.")
            .Produces<JsonNode>(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status412PreconditionFailed)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "artifact_not_found");
        return app;
    }

    private static async Task<Results<Ok<RunPage>, ProblemHttpResult>> ListRunsAsync(
        [DocumentedAs(typeof(RunState))] string? state, string? template, string[]? label, [DocumentedAs(typeof(Guid))] string? parent,
        [DocumentedAs(typeof(DateTimeOffset))] string? createdAfter, [DocumentedAs(typeof(DateTimeOffset))] string? createdBefore,
        [DocumentedAs(typeof(int), Minimum = 1, Maximum = RunListQuery.MaxLimit)] string? limit,
        string? cursor, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        var query = RunListQuery.Parse(state, template, label, parent, createdAfter, createdBefore, limit, cursor, out var error);
        if (query is null)
        {
            return InvalidRequest(error!);
        }

        // Filters in SQL of our own: jsonb containment on labels and a row comparison for the keyset, both index-backed.
        var sql = new StringBuilder("SELECT * FROM runs WHERE TRUE");
        var parameters = new List<NpgsqlParameter>();
        if (query.StateName is not null)
        {
            sql.Append(" AND state = @state");
            parameters.Add(new NpgsqlParameter("state", query.StateName));
        }

        if (query.TemplateName is not null)
        {
            sql.Append(" AND template_name = @template_name");
            parameters.Add(new NpgsqlParameter("template_name", query.TemplateName));
        }

        if (query.TemplateVersion is { } version)
        {
            sql.Append(" AND template_version = @template_version");
            parameters.Add(new NpgsqlParameter("template_version", version));
        }

        if (query.ParentRunId is { } parentRunId)
        {
            sql.Append(" AND parent_run_id = @parent_run_id");
            parameters.Add(new NpgsqlParameter("parent_run_id", parentRunId));
        }

        if (query.CreatedAfter is { } createdFrom)
        {
            sql.Append(" AND created_at >= @created_after");
            parameters.Add(new NpgsqlParameter("created_after", createdFrom.ToUniversalTime()));
        }

        if (query.CreatedBefore is { } createdUntil)
        {
            sql.Append(" AND created_at < @created_before");
            parameters.Add(new NpgsqlParameter("created_before", createdUntil.ToUniversalTime()));
        }

        for (var i = 0; i < query.Labels.Count; i++)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND labels @> @label{i}");
            parameters.Add(new NpgsqlParameter($"label{i}", NpgsqlDbType.Jsonb) { Value = query.Labels[i] });
        }

        if (query.After is { } after)
        {
            sql.Append(" AND (created_at, run_id) < (@after_created_at, @after_run_id)");
            parameters.Add(new NpgsqlParameter("after_created_at", after.CreatedAt));
            parameters.Add(new NpgsqlParameter("after_run_id", after.Id));
        }

        var rows = await db.Runs.FromSqlRaw(sql.ToString(), [.. parameters])
            .AsNoTracking()
            .OrderByDescending(r => r.CreatedAt)
            .ThenByDescending(r => r.CorrelationId)
            .Take(query.Limit + 1)
            .Select(r => new { r.CorrelationId, r.CurrentState, r.TemplateName, r.TemplateVersion, r.CreatedAt, r.StartedAt, r.EndedAt, r.Labels, r.Error })
            .ToListAsync(cancellationToken);

        var page = rows.Take(query.Limit).ToList();
        var next = rows.Count > query.Limit ? new KeysetCursor(page[^1].CreatedAt, page[^1].CorrelationId).Encode() : null;
        var items = page.Select(r => new RunSummaryView
        {
            RunId = r.CorrelationId,
            State = RunStates.Of(r.CurrentState),
            Template = new TemplateNameView(r.TemplateName, r.TemplateVersion),
            CreatedAt = r.CreatedAt,
            StartedAt = r.StartedAt,
            EndedAt = r.EndedAt,
            Labels = r.Labels,
            Error = r.Error,
            Links = new SelfLink(RunPaths.Run(r.CorrelationId)),
        }).ToList();
        return TypedResults.Ok(new RunPage(items, next));
    }

    private static async Task<Results<Ok<RunView>, ProblemHttpResult>> GetRunAsync(
        [DocumentedAs(typeof(Guid))] string runId, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(runId, out var requested))
        {
            return MalformedId();
        }

        var resolved = await ResolveAsync(db, requested, cancellationToken);
        var run = resolved is null
            ? null
            : await db.Runs.AsNoTracking()
                .Where(r => r.CorrelationId == resolved)
                .Select(r => new
                {
                    r.CorrelationId,
                    r.CurrentState,
                    r.Definition,
                    r.Phases,
                    r.Usage,
                    r.Error,
                    r.ReportUrl,
                    r.Approval,
                    r.Generation,
                    r.Labels,
                    r.CreatedAt,
                    r.StartedAt,
                    r.EndedAt,
                })
                .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return RunNotFound(runId);
        }

        var phases = run.Phases.Select(p => new PhaseView(
            p.Key, p.State, p.Attempts.Count, p.LastAttempt == 0 ? null : p.LastAttempt, p.StartedAt, p.EndedAt, p.ArtifactDigest)).ToList();
        return TypedResults.Ok(new RunView
        {
            RunId = run.CorrelationId,
            AliasOf = requested == run.CorrelationId ? null : requested,
            State = RunStates.Of(run.CurrentState),
            Template = run.Definition.Template,
            InputBundleHash = run.Definition.InputBundleHash,
            CreatedAt = run.CreatedAt,
            StartedAt = run.StartedAt,
            EndedAt = run.EndedAt,
            Phases = phases,
            Usage = run.Usage,
            Budget = run.Definition.Budget,
            Error = run.Error,
            ReportUrl = run.ReportUrl,
            Generation = run.Generation,
            ParentRunId = run.Definition.ParentRunId,
            Depth = run.Definition.Depth,
            Children = run.Phases.SelectMany(p => p.Children.Select(c => new ChildView(c.RunId, p.Key, c.Attempt, c.Index, c.State)))
                .ToList(),
            Labels = run.Labels,
            Links = new RunLinks
            {
                Self = RunPaths.Run(run.CorrelationId),
                Events = RunPaths.Run(run.CorrelationId) + "/events",
                Stream = RunPaths.Run(run.CorrelationId) + "/events/stream",
                Artifacts = phases.Where(p => p.ArtifactDigest is not null)
                    .ToDictionary(p => p.Key, p => RunPaths.Artifact(run.CorrelationId, p.Key), StringComparer.Ordinal),
                Report = run.ReportUrl,
                Approval = run.Approval is { } waiting ? RunPaths.Approval(waiting.RequestId) : null,
            },
        });
    }

    private static async Task<Results<Ok<RunEventPage>, ProblemHttpResult>> ListEventsAsync(
        [DocumentedAs(typeof(Guid))] string runId, [DocumentedAs(typeof(long), Minimum = 0)] string? after,
        [DocumentedAs(typeof(int), Minimum = 1, Maximum = MaxEventLimit)] string? limit, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(runId, out var requested))
        {
            return MalformedId();
        }

        long afterSeq = 0;
        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterSeq))
        {
            return InvalidRequest("Query parameter 'after' must be a non-negative integer (the seq of the last event seen).");
        }

        var pageSize = DefaultEventLimit;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxEventLimit))
        {
            return InvalidRequest($"Query parameter 'limit' must be an integer from 1 to {MaxEventLimit}.");
        }

        var resolved = await ResolveAsync(db, requested, cancellationToken);
        if (resolved is null)
        {
            return RunNotFound(runId);
        }

        var rows = await RunEventLog.ReadAsync(db, resolved.Value, afterSeq, upTo: null, pageSize + 1, cancellationToken);
        var items = rows.Take(pageSize).ToList();
        return TypedResults.Ok(new RunEventPage(items, rows.Count > pageSize ? items[^1].Seq : null));
    }

    private static async Task<IResult> StreamEventsAsync(
        string runId, string? lastEventIdHeader, OrchestratorDbContext db, RunStreamOptions options, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(runId, out var requested))
        {
            return MalformedId();
        }

        long lastEventId = 0;
        var header = lastEventIdHeader ?? "";
        if (header.Length > 0 && !long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out lastEventId))
        {
            return InvalidRequest("Header 'Last-Event-ID' must be the seq of an event (a non-negative integer).");
        }

        var resolved = await ResolveAsync(db, requested, cancellationToken);
        var head = resolved is null ? null : await RunEventLog.HeadAsync(db, resolved.Value, cancellationToken);
        if (resolved is null || head is null)
        {
            return RunNotFound(runId);
        }

        var end = await RunEventLog.EndAsync(db, resolved.Value, head, cancellationToken);

        // The client already has the terminal event of a run that is still terminal: nothing more will come.
        return end.TerminalSeq is { } terminalSeq && lastEventId >= terminalSeq
            ? TypedResults.NoContent()
            : new RunEventStream(resolved.Value, lastEventId, options);
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetArtifactAsync(
        [DocumentedAs(typeof(Guid))] string runId, string phaseKey, [DocumentedAs(typeof(int), Minimum = 1)] string? attempt, HttpResponse response,
        OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(runId, out var requested))
        {
            return MalformedId();
        }

        int? attemptNumber = null;
        if (attempt is not null)
        {
            if (!int.TryParse(attempt, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                return InvalidRequest("Query parameter 'attempt' must be a positive integer.");
            }

            attemptNumber = number;
        }

        var resolved = await ResolveAsync(db, requested, cancellationToken);
        var rows = db.RunArtifacts.AsNoTracking().Where(a => a.RunId == resolved && a.PhaseKey == phaseKey);
        rows = attemptNumber is { } n ? rows.Where(a => a.Attempt == n) : rows.Where(a => a.Accepted);
        var artifact = resolved is null
            ? null
            : await rows.OrderByDescending(a => a.Attempt)
                .Join(db.ArtifactBlobs, a => a.Digest, b => b.Digest, (a, b) => new { b.Digest, b.Content })
                .FirstOrDefaultAsync(cancellationToken);
        if (artifact is null)
        {
            var which = attemptNumber is { } a ? $"attempt {a} of phase '{phaseKey}'" : $"accepted artifact for phase '{phaseKey}'";
            return Problem(StatusCodes.Status404NotFound, "artifact_not_found", "Artifact not found", $"Run '{runId}' has no {which}.");
        }

        response.Headers["X-Artifact-Digest"] = artifact.Digest;
        return TypedResults.Bytes(artifact.Content, "application/json", entityTag: new EntityTagHeaderValue($"\"{artifact.Digest}\""));
    }

    /// <summary>The run <paramref name="id"/> names: itself, or the run it is an alias of; null when neither exists.</summary>
    private static async Task<Guid?> ResolveAsync(OrchestratorDbContext db, Guid id, CancellationToken cancellationToken)
    {
        if (await db.Runs.AnyAsync(r => r.CorrelationId == id, cancellationToken))
        {
            return id;
        }

        return await db.RunAliases.AsNoTracking()
            .Where(a => a.AliasRunId == id)
            .Select(a => (Guid?)a.RunId)
            .SingleOrDefaultAsync(cancellationToken);
    }

    private static ProblemHttpResult MalformedId() =>
        InvalidRequest("The run id in the path must be a UUID (e.g. 0b5c2f0e-8d3a-4f7e-9a59-2f1c6f3f9f5e).");

    private static ProblemHttpResult RunNotFound(string runId) =>
        Problem(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound, "Run not found", $"There is no run '{runId}'.");

    private static ProblemHttpResult InvalidRequest(string detail) =>
        Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", detail);

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));
}
