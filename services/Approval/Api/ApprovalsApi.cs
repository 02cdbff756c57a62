using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RunMesh.Approval.Approvals;
using RunMesh.Approval.Persistence;
using RunMesh.Contracts;
using RunMesh.Hosting.ApiDocuments;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Approval.Api;

/// <summary>
/// <c>GET /api/approvals</c> (a page, oldest first or with <c>order=newest</c> newest first), <c>GET /api/approvals/{requestId}</c> and
/// <c>POST /api/approvals/{requestId}/decision</c>; all for the approver role.
/// </summary>
public static class ApprovalsApi
{
    private const string ApprovalNotFound = "approval_not_found";

    /// <summary>Maps the approval endpoints.</summary>
    public static IEndpointRouteBuilder MapApprovalsApi(this IEndpointRouteBuilder endpoints)
    {
        var approvals = endpoints.MapGroup("/api/approvals").WithTags("Approvals").RequireAuthorization(Roles.Approver);
        approvals.MapGet("/", ListAsync).WithName("ListApprovals")
            .WithSummary("Approval requests, oldest first (order=newest: newest first); filter by state and run, page with limit and cursor.");
        approvals.MapGet("/{requestId}", GetAsync).WithName("GetApproval")
            .WithSummary("One approval request with its artifact preview and digest.")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ApprovalNotFound);
        approvals.MapPost("/{requestId}/decision", DecideAsync).WithName("DecideApproval")
            .WithSummary("Approve, reject or abort a pending request (the same decision again is answered again).")
            .AcceptsJsonBody<DecisionRequest>(required: true, "The decision and why.")
            .Produces<ApprovalView>(StatusCodes.Status200OK)
            .ProducesProblemCodes(StatusCodes.Status404NotFound, ApprovalNotFound)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "approval_already_decided", "approval_expired", "approval_closed");
        return endpoints;
    }

    /// <summary>The body of <c>POST /api/approvals/{requestId}/decision</c>.</summary>
    public sealed record DecisionRequest
    {
        /// <summary><c>approve</c>, <c>reject</c> or <c>abort</c>.</summary>
        [AllowedValues("approve", "reject", "abort")]
        public required string Action { get; init; }

        /// <summary>Why, for the run's event log (at most <see cref="ApprovalLimits.MaxCommentLength"/> characters).</summary>
        [MaxLength(ApprovalLimits.MaxCommentLength)]
        public string? Comment { get; init; }
    }

    private static async Task<Results<Ok<ApprovalPage>, ProblemHttpResult>> ListAsync(
        [AllowedValues(ApprovalStates.Pending, ApprovalStates.Approved, ApprovalStates.Rejected, ApprovalStates.Aborted, ApprovalStates.Expired,
            ApprovalStates.Closed)] string? state,
        [DocumentedAs(typeof(Guid))] string? runId, [AllowedValues(ApprovalCursor.Oldest, ApprovalCursor.Newest)] string? order,
        [DocumentedAs(typeof(int), Minimum = 1, Maximum = ApprovalLimits.MaxPageSize)] string? limit, string? cursor, ApprovalDbContext db,
        CancellationToken cancellationToken)
    {
        if (order is not null and not (ApprovalCursor.Oldest or ApprovalCursor.Newest))
        {
            return InvalidRequest($"Query parameter 'order' must be {ApprovalCursor.Oldest} (the default) or {ApprovalCursor.Newest}.");
        }

        var newest = order == ApprovalCursor.Newest;
        if (state is not null && !ApprovalStates.All.Contains(state))
        {
            return InvalidRequest($"Query parameter 'state' must be one of {string.Join(", ", ApprovalStates.All)}.");
        }

        Guid? run = null;
        if (runId is not null)
        {
            if (!Guid.TryParse(runId, out var parsed))
            {
                return InvalidRequest("Query parameter 'runId' must be a UUID.");
            }

            run = parsed;
        }

        var pageSize = ApprovalLimits.DefaultPageSize;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > ApprovalLimits.MaxPageSize))
        {
            return InvalidRequest($"Query parameter 'limit' must be an integer from 1 to {ApprovalLimits.MaxPageSize}.");
        }

        long? after = null;
        if (cursor is not null)
        {
            if (!ApprovalCursor.TryDecode(cursor, newest, out var seq))
            {
                return InvalidRequest(
                    "Query parameter 'cursor' is not a cursor this API gave out for this order (use nextCursor of the previous page, with the same order).");
            }

            after = seq;
        }

        var query = db.Requests.AsNoTracking();
        if (after is { } position)
        {
            query = newest ? query.Where(r => r.Seq < position) : query.Where(r => r.Seq > position);
        }

        if (state is not null)
        {
            query = query.Where(r => r.State == state);
        }

        if (run is not null)
        {
            query = query.Where(r => r.RunId == run);
        }

        var rows = await (newest ? query.OrderByDescending(r => r.Seq) : query.OrderBy(r => r.Seq)).Take(pageSize + 1).ToListAsync(cancellationToken);
        var page = rows.Take(pageSize).ToList();
        var next = rows.Count > pageSize ? ApprovalCursor.Encode(page[^1].Seq, newest) : null;
        return TypedResults.Ok(new ApprovalPage([.. page.Select(r => ApprovalView.Of(r))], next));
    }

    private static async Task<Results<Ok<ApprovalView>, ProblemHttpResult>> GetAsync(
        [DocumentedAs(typeof(Guid))] string requestId, ApprovalDbContext db, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(requestId, out var id))
        {
            return MalformedId();
        }

        var row = await db.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.RequestId == id, cancellationToken);
        return row is null ? NotFound(requestId) : TypedResults.Ok(ApprovalView.Of(row));
    }

    private static async Task<IResult> DecideAsync(
        [DocumentedAs(typeof(Guid))] string requestId, HttpRequest request, ClaimsPrincipal user, ApprovalDecisions decisions,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(requestId, out var id))
        {
            return MalformedId();
        }

        var body = await StrictJsonBody.ReadAsync<DecisionRequest>(request, required: true, cancellationToken);
        if (body.Problem is { } invalid)
        {
            return invalid;
        }

        var decision = body.Value!;
        ApprovalAction? action = decision.Action switch
        {
            "approve" => ApprovalAction.Approve,
            "reject" => ApprovalAction.Reject,
            "abort" => ApprovalAction.Abort,
            _ => null,
        };
        if (action is null)
        {
            return InvalidRequest("Field 'action' must be approve, reject or abort.");
        }

        if (decision.Comment is { Length: > ApprovalLimits.MaxCommentLength })
        {
            return InvalidRequest($"Field 'comment' is at most {ApprovalLimits.MaxCommentLength} characters.");
        }

        var decidedBy = user.Identity?.Name ?? "anonymous";
        return await decisions.DecideAsync(id, action.Value, decidedBy, decision.Comment, cancellationToken) switch
        {
            DecisionOutcome.Decided decided => TypedResults.Ok(ApprovalView.Of(decided.Request)),
            DecisionOutcome.AlreadyDecided same => TypedResults.Ok(ApprovalView.Of(same.Request)),
            DecisionOutcome.Conflict conflict => Conflict(conflict.Request, decision.Action),
            _ => NotFound(requestId),
        };
    }

    private static ProblemHttpResult Conflict(ApprovalRequestRow request, string action) => request.State switch
    {
        ApprovalStates.Closed => Problem(StatusCodes.Status409Conflict, "approval_closed", "The run has ended",
            $"Approval request {request.RequestId} is closed: run {request.RunId} ended before anyone decided, so there is nothing left to {action}."),
        ApprovalStates.Expired => Problem(StatusCodes.Status409Conflict, "approval_expired", "The request has expired",
            $"Approval request {request.RequestId} expired at {request.ExpiresAt:O} before anyone decided; the run fails with approval_expired."),
        // Pending but past its expiry: the expiry scan has not marked it yet.
        ApprovalStates.Pending => Problem(StatusCodes.Status409Conflict, "approval_expired", "The request has expired",
            $"Approval request {request.RequestId} expired at {request.ExpiresAt:O}; it can no longer be decided."),
        _ => Problem(StatusCodes.Status409Conflict, "approval_already_decided", "Already decided",
            $"Approval request {request.RequestId} was already decided ({request.State} by {request.DecidedBy ?? "someone"} at {request.DecidedAt:O}); it cannot be decided again with '{action}'."),
    };

    private static ProblemHttpResult MalformedId() =>
        InvalidRequest("The approval request id in the path must be a UUID (e.g. 0b5c2f0e-8d3a-4f7e-9a59-2f1c6f3f9f5e).");

    private static ProblemHttpResult NotFound(string requestId) =>
        Problem(StatusCodes.Status404NotFound, ApprovalNotFound, "Approval request not found", $"There is no approval request '{requestId}'.");

    private static ProblemHttpResult InvalidRequest(string detail) =>
        Problem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Invalid request", detail);

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(ProblemResponses.Create(status, code, title, detail));
}

/// <summary>
/// The list cursor: opaque to clients, the last <c>seq</c> of the previous page underneath, and which way the list runs
/// (a cursor of one order is refused for the other: it would skip or repeat requests).
/// </summary>
internal static class ApprovalCursor
{
    /// <summary>The default order: oldest first (by when the request was stored).</summary>
    public const string Oldest = "oldest";

    /// <summary>Newest first: what an inbox shows.</summary>
    public const string Newest = "newest";

    private const string OldestPrefix = "a1.";
    private const string NewestPrefix = "d1.";

    public static string Encode(long seq, bool newest) => (newest ? NewestPrefix : OldestPrefix) + seq.ToString(CultureInfo.InvariantCulture);

    public static bool TryDecode(string cursor, bool newest, out long seq)
    {
        seq = 0;
        var prefix = newest ? NewestPrefix : OldestPrefix;
        return cursor.StartsWith(prefix, StringComparison.Ordinal)
            && long.TryParse(cursor.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }
}
