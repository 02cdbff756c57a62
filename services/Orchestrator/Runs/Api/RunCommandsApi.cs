using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>
/// <c>POST /api/runs</c> (start, with optional <c>Idempotency-Key</c>), <c>POST /api/runs/{runId}/cancel</c> and
/// <c>POST /api/runs/{runId}/retry</c>. Each writes what it must and the messages it sends in one transaction (bus outbox).
/// </summary>
public static class RunCommandsApi
{
    private const int MaxIdempotencyKeyLength = 200;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>Maps the run commands.</summary>
    public static IEndpointRouteBuilder MapRunCommandsApi(this IEndpointRouteBuilder endpoints)
    {
        var runs = endpoints.MapGroup("/api/runs").WithTags("Runs").RequireAuthorization(Roles.Submitter);
        runs.MapPost("/", StartAsync).WithName("StartRun").WithSummary("Start a run of a template (or be answered with an identical one).")
            .WithDescription("202 with a new run; 200 with `deduplicated: true` when an identical completed or in-flight run answers. "
                + "The same `Idempotency-Key` with the same body is answered the same again.")
            .AcceptsJsonBody<StartRunRequest>(required: true, "The run: its template, inputs, model and options.")
            .Produces<RunAccepted>(StatusCodes.Status202Accepted)
            .Produces<RunAccepted>(StatusCodes.Status200OK)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "idempotency_key_in_progress")
            .ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused", ErrorCodes.TemplateNotFound,
                ErrorCodes.InvalidInputs, ErrorCodes.InvalidBudget, ErrorCodes.InstructionsTooLarge, ErrorCodes.ParentRunNotFound,
                ErrorCodes.ParentRunEnded, ErrorCodes.MaxDepthExceeded);
        runs.MapPost("/{runId}/cancel", CancelAsync).WithName("CancelRun").WithSummary("Cancel a run that has not ended.")
            .WithDescription("The run is cancelled when this answers: `state` is `cancelled`.")
            .AcceptsJsonBody<CancelRunRequest>(required: false, "Optional: why the run is cancelled.")
            .Produces<RunCommandAnswer>(StatusCodes.Status202Accepted)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, ErrorCodes.RunNotCancellable);
        runs.MapPost("/{runId}/retry", RetryAsync).WithName("RetryRun").WithSummary("Retry a failed run from its failed phase.")
            .WithDescription("The run is retried when this answers: `state` is `running` (its failed phase's next attempt is on its way), "
                + "or `failed` when the retry failed it again at once (e.g. its budget is spent).")
            .AcceptsJsonBody<RetryRunRequest>(required: false, "None, or an empty object: a retry takes no fields.")
            .Produces<RunCommandAnswer>(StatusCodes.Status202Accepted)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable);
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

    /// <summary>The body of <c>POST /api/runs/{runId}/cancel</c> (optional).</summary>
    public sealed record CancelRunRequest
    {
        /// <summary>Why; kept in the run's error and event log.</summary>
        public string? Reason { get; init; }
    }

    /// <summary>The body of <c>POST /api/runs/{runId}/retry</c> (optional): an empty object.</summary>
    public sealed record RetryRunRequest;

    /// <summary>The answer to a start: the run that answers it, its state, whether it was an identical run, and where to follow it.</summary>
    public sealed record RunAccepted
    {
        /// <summary>The run.</summary>
        public required Guid RunId { get; init; }

        /// <summary>Its state when the start was answered.</summary>
        public required RunState State { get; init; }

        /// <summary>True when an identical completed or in-flight run answers (no new run).</summary>
        public required bool Deduplicated { get; init; }

        /// <summary>Where to follow it.</summary>
        public required RunAcceptedLinks Links { get; init; }
    }

    /// <summary>Where to follow a started run.</summary>
    /// <param name="Self">The run.</param>
    /// <param name="Events">Its event log.</param>
    /// <param name="Stream">Its live event stream.</param>
    public sealed record RunAcceptedLinks(string Self, string Events, string Stream);

    /// <summary>The answer to a cancel or a retry: the run and the state the command left it in.</summary>
    /// <param name="RunId">The run.</param>
    /// <param name="State">Its state now.</param>
    public sealed record RunCommandAnswer(Guid RunId, RunState State);

    private static async Task<IResult> StartAsync(
        HttpRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal user, RunAdmission admission,
        IdempotencyKeys keys, IPublishEndpoint publish, CancellationToken cancellationToken)
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
        var key = idempotencyKey ?? "";
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
        AdmissionOutcome.Created created => (StatusCodes.Status202Accepted, Accepted(created.RunId, created.State, deduplicated: false)),
        AdmissionOutcome.Deduplicated dedup => (StatusCodes.Status200OK, Accepted(dedup.RunId, dedup.State, deduplicated: true)),
        AdmissionOutcome.AlreadyExists existing => (StatusCodes.Status200OK, Accepted(existing.RunId, RunState.Pending, deduplicated: true)),
        AdmissionOutcome.TemplateNotFound missing => (StatusCodes.Status422UnprocessableEntity, TypedResults.Problem(ProblemResponses.Create(
            StatusCodes.Status422UnprocessableEntity, ErrorCodes.TemplateNotFound, "Template not found", missing.Message,
            [new { path = "$.template", message = missing.Message }]))),
        AdmissionOutcome.Refused refused => (StatusCodes.Status422UnprocessableEntity, TypedResults.Problem(ProblemResponses.Create(
            StatusCodes.Status422UnprocessableEntity, refused.Code, "The run cannot start with these inputs",
            $"{refused.Problems.Count} problem(s); see errors.",
            refused.Problems.Select(p => new { path = p.Path, message = p.Message }).ToList()))),
        _ => throw new InvalidOperationException($"Unexpected admission outcome {outcome.GetType().Name}."),
    };

    private static JsonObject Accepted(Guid runId, RunState state, bool deduplicated) =>
        JsonSerializer.SerializeToNode(new RunAccepted
        {
            RunId = runId,
            State = state,
            Deduplicated = deduplicated,
            Links = new RunAcceptedLinks($"/api/runs/{runId}", $"/api/runs/{runId}/events", $"/api/runs/{runId}/events/stream"),
        }, s_json)!.AsObject();

    private static async Task<IResult> CancelAsync(
        [DocumentedAs(typeof(Guid))] string runId, HttpRequest request, ClaimsPrincipal user, RunAdmission admission, RunCancellation cancellation,
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
        return TypedResults.Json(new RunCommandAnswer(existing, state), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> RetryAsync(
        [DocumentedAs(typeof(Guid))] string runId, HttpRequest request, ClaimsPrincipal user, RunAdmission admission, RunRetry retry,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var body = await StrictJsonBody.ReadAsync<RetryRunRequest>(request, required: false, cancellationToken);
        if (body.Problem is { } invalid)
        {
            return invalid;
        }

        if (!Guid.TryParse(runId, out var id) || await admission.FindExistingAsync(id, cancellationToken) is not { } existing)
        {
            return RunNotFound(runId);
        }

        return await retry.RetryAsync(existing, user.Identity?.Name, publish, cancellationToken) switch
        {
            // The run is retried now (its next attempt is on its way to the workers): the answer says the state it is in.
            RetryOutcome.Retried retried => TypedResults.Json(new RunCommandAnswer(existing, retried.State), statusCode: StatusCodes.Status202Accepted),
            RetryOutcome.NotFailed other => Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable, "Only a failed run can be retried",
                $"Run {existing} is {RunStates.ToJson(other.State)}."),
            RetryOutcome.AlreadyRetried => Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable, "A retry is already under way",
                $"Run {existing} has been retried since it failed; follow it with GET /api/runs/{existing}."),
            RetryOutcome.IdenticalRunExists identical => Problem(StatusCodes.Status409Conflict, ErrorCodes.RunNotRetryable, "An identical run exists",
                $"Run {identical.RunId} started with the same inputs meanwhile; use it instead."),
            _ => throw new InvalidOperationException("Unknown retry outcome."),
        };
    }

    private static ProblemHttpResult RunNotFound(string runId) =>
        Problem(StatusCodes.Status404NotFound, ErrorCodes.RunNotFound, "Run not found", $"There is no run '{runId}'.");

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));
}
