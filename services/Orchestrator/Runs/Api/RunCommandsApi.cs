using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>
/// <c>POST /api/runs</c> (start, with optional <c>Idempotency-Key</c>), <c>POST /api/runs/{id}/cancel</c> and
/// <c>POST /api/runs/{id}/retry</c>. Each writes what it must and the command it sends in one transaction (bus outbox).
/// </summary>
public static class RunCommandsApi
{
    private const int MaxIdempotencyKeyLength = 200;

    /// <summary>Maps the run commands.</summary>
    public static IEndpointRouteBuilder MapRunCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var runs = endpoints.MapGroup("/api/runs").WithTags("Runs").RequireAuthorization(Roles.Submitter);
        runs.MapPost("/", StartAsync).WithName("StartRun").WithSummary("Start a run of a template (or be answered with an identical one).");
        runs.MapPost("/{runId}/cancel", CancelAsync).WithName("CancelRun").WithSummary("Cancel a run that has not ended.");
        runs.MapPost("/{runId}/retry", RetryAsync).WithName("RetryRun").WithSummary("Retry a failed run from its failed phase.");
        return endpoints;
    }

    /// <summary>The body of <c>POST /api/runs</c>.</summary>
    public sealed record StartRunRequest
    {
        /// <summary><c>name@version</c> or <c>sha256:…</c>.</summary>
        public required string Template { get; init; }

        /// <summary>The run's inputs.</summary>
        public JsonObject? Inputs { get; init; }

        /// <summary>Model settings (name, temperature, maxTokens, …).</summary>
        public JsonObject? Model { get; init; }

        /// <summary>Options (force, maxDepth, budget, timeoutSeconds, labels).</summary>
        public RunOptions? Options { get; init; }

        /// <summary>The run that starts this one.</summary>
        public Guid? ParentRunId { get; init; }
    }

    /// <summary>The body of <c>POST /api/runs/{id}/cancel</c> (optional).</summary>
    public sealed record CancelRunRequest
    {
        /// <summary>Why; kept in the run's error and event log.</summary>
        public string? Reason { get; init; }
    }

    private static async Task<IResult> StartAsync(
        HttpRequest request, ClaimsPrincipal user, RunAdmission admission, IdempotencyKeys keys, IPublishEndpoint publish,
        CancellationToken cancellationToken)
    {
        var body = await StrictJsonBody.ReadAsync<StartRunRequest>(request, required: true, cancellationToken);
        if (body.Problem is { } invalid)
        {
            return invalid;
        }

        var start = body.Value!;
        // The serializer refuses null for a field but not for a dictionary's values.
        if (start.Options?.Labels.FirstOrDefault(l => l.Value is null) is { Key: { } unlabelled })
        {
            return StrictJsonBody.Invalid(new RequestBodyError(StrictJsonBody.Append("$.options.labels", unlabelled), "must be a string, not null"));
        }

        if (RunInputs.FieldWithoutCanonicalForm(start.Inputs, start.Model) is { } field)
        {
            return Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request body",
                $"The JSON at $.{field} has no canonical form: a number beyond the range of a double, or a string that is not valid Unicode.");
        }

        var identity = user.Identity?.Name ?? "anonymous";
        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            return Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid Idempotency-Key",
                $"An Idempotency-Key is at most {MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        if (key.Length > 0)
        {
            var requestHash = Digest.Of(JsonSerializer.SerializeToNode(start, StrictJsonBody.Options));
            switch (await keys.ClaimAsync(identity, key, requestHash, cancellationToken))
            {
                case IdempotencyClaim.Replay replay:
                    return Results.Json(replay.Body, statusCode: replay.Status);
                case IdempotencyClaim.InProgress:
                    return Problem(StatusCodes.Status409Conflict, "idempotency_key_in_progress", "Request in progress",
                        "A request with this Idempotency-Key is still being handled; try again shortly.");
                case IdempotencyClaim.KeyReused:
                    return Problem(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused", "Idempotency-Key reused",
                        "This Idempotency-Key was used for a different request body.");
            }
        }

        try
        {
            var message = new StartRun
            {
                RunId = NewId.NextGuid(),
                Template = start.Template,
                Inputs = start.Inputs ?? new JsonObject(),
                Model = start.Model ?? new JsonObject(),
                Options = start.Options ?? new RunOptions(),
                ParentRunId = start.ParentRunId,
                RequestedBy = identity,
            };
            var outcome = await admission.AdmitWithNewRunIdAsync(message, publish, cancellationToken);
            var (status, answer) = Answer(outcome);
            if (key.Length > 0 && status < 500 && answer is JsonObject json)
            {
                await keys.CompleteAsync(identity, key, status, json, cancellationToken);
            }
            else if (key.Length > 0)
            {
                // A refusal (422) started nothing: the key is free again, for the corrected request.
                await keys.ReleaseAsync(identity, key, cancellationToken);
            }

            return answer is JsonObject accepted ? Results.Json(accepted, statusCode: status) : (IResult)answer;
        }
        catch
        {
            if (key.Length > 0)
            {
                await keys.ReleaseAsync(identity, key, CancellationToken.None);
            }

            throw;
        }
    }

    /// <summary>The HTTP answer to an admission outcome: a JSON body (repeatable under an Idempotency-Key) or a problem.</summary>
    private static (int Status, object Answer) Answer(AdmissionOutcome outcome) => outcome switch
    {
        AdmissionOutcome.Created created => (StatusCodes.Status202Accepted, Accepted(created.RunId, RunStates.ToJson(created.State), deduplicated: false)),
        AdmissionOutcome.Deduplicated dedup => (StatusCodes.Status200OK, Accepted(dedup.RunId, RunStates.ToJson(dedup.State), deduplicated: true)),
        AdmissionOutcome.AlreadyExists existing => (StatusCodes.Status200OK, Accepted(existing.RunId, RunStates.ToJson(RunState.Pending), deduplicated: true)),
        AdmissionOutcome.TemplateNotFound missing => (StatusCodes.Status422UnprocessableEntity, TypedResults.Problem(ProblemResponses.Create(
            StatusCodes.Status422UnprocessableEntity, ErrorCodes.TemplateNotFound, "Template not found", missing.Message,
            [new { path = "$.template", message = missing.Message }]))),
        AdmissionOutcome.Refused refused => (StatusCodes.Status422UnprocessableEntity, TypedResults.Problem(ProblemResponses.Create(
            StatusCodes.Status422UnprocessableEntity, refused.Code, "The run cannot start with these inputs",
            $"{refused.Problems.Count} problem(s); see errors.",
            refused.Problems.Select(p => new { path = p.Path, message = p.Message }).ToList()))),
        _ => throw new InvalidOperationException($"Unexpected admission outcome {outcome.GetType().Name}."),
    };

    private static JsonObject Accepted(Guid runId, string state, bool deduplicated) => new()
    {
        ["runId"] = runId.ToString(),
        ["state"] = state,
        ["deduplicated"] = deduplicated,
        ["links"] = new JsonObject
        {
            ["self"] = $"/api/runs/{runId}",
            ["events"] = $"/api/runs/{runId}/events",
            ["stream"] = $"/api/runs/{runId}/events/stream",
        },
    };

    private static async Task<IResult> CancelAsync(
        string runId, HttpRequest request, ClaimsPrincipal user, RunAdmission admission, RunCancellation cancellation,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var body = await StrictJsonBody.ReadAsync<CancelRunRequest>(request, required: false, cancellationToken);
        if (body.Problem is { } invalid)
        {
            return invalid;
        }

        if (!Guid.TryParse(runId, out var id) || await admission.FindExistingAsync(id, cancellationToken) is not { } existing)
        {
            return RunNotFound(runId);
        }

        var (cancelled, state) = await cancellation.CancelAsync(existing, body.Value?.Reason, user.Identity?.Name, publish, cancellationToken);
        if (!cancelled)
        {
            return Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotCancellable, "The run has ended",
                $"Run {existing} is {RunStates.ToJson(state)}; only a run that has not ended can be cancelled.");
        }

        // The run is cancelled now (its RunFinished and the executor's CancelPhase are on their way): the answer says so.
        return Results.Json(new JsonObject { ["runId"] = existing.ToString(), ["state"] = RunStates.ToJson(state) },
            statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> RetryAsync(
        string runId, HttpRequest request, ClaimsPrincipal user, OrchestratorDbContext db, RunAdmission admission, RunEffects effects,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var body = await StrictJsonBody.ReadAsync<JsonObject>(request, required: false, cancellationToken);
        if (body.Problem is { } invalid)
        {
            return invalid;
        }

        if (body.Value is { Count: > 0 })
        {
            return Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Unknown fields",
                $"A retry takes no fields; got {string.Join(", ", body.Value.Select(p => p.Key))}.");
        }

        if (await FindAsync(runId, db, admission, cancellationToken) is not { } run)
        {
            return RunNotFound(runId);
        }

        if (run.State != RunState.Failed)
        {
            return Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable, "Only a failed run can be retried",
                $"Run {run.CorrelationId} is {RunStates.ToJson(run.State)}.");
        }

        // Both claims are taken here, with the RetryRun in the same transaction, so the saga finds the input bundle the
        // run's and never ignores a retry this answers 202 for: of concurrent retries of one failure, one is accepted.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await effects.ClaimRetryAsync(run, cancellationToken))
        {
            return Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable, "A retry is already under way",
                $"Run {run.CorrelationId} has been retried since it failed; follow it with GET /api/runs/{run.CorrelationId}.");
        }

        if (!await effects.HoldInputBundleAsync(run, cancellationToken))
        {
            var other = await db.InputBundleClaims.AsNoTracking()
                .Where(c => c.InputBundleHash == run.Definition.InputBundleHash).Select(c => c.RunId).SingleAsync(cancellationToken);
            return Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable, "An identical run exists",
                $"Run {other} started with the same inputs meanwhile; use it instead.");
        }

        await publish.Publish(new RetryRun { RunId = run.CorrelationId, RequestedBy = user.Identity?.Name }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Results.Json(new JsonObject { ["runId"] = run.CorrelationId.ToString(), ["state"] = RunStates.ToJson(RunState.Failed) },
            statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<RunRecord?> FindAsync(string runId, OrchestratorDbContext db, RunAdmission admission, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(runId, out var id) || await admission.FindExistingAsync(id, cancellationToken) is not { } existing)
        {
            return null;
        }

        return await db.Runs.AsNoTracking().SingleAsync(r => r.CorrelationId == existing, cancellationToken);
    }

    private static ProblemHttpResult RunNotFound(string runId) =>
        Problem(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound, "Run not found", $"There is no run '{runId}'.");

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));
}
