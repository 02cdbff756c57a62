using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using RunMesh.Approval.Approvals;

namespace RunMesh.Approval.Api;

/// <summary>An approval request as the API shows it.</summary>
internal sealed record ApprovalView
{
    public required Guid RequestId { get; init; }

    public required Guid RunId { get; init; }

    public required int Generation { get; init; }

    public required string PhaseKey { get; init; }

    public required int Attempt { get; init; }

    public required string Gate { get; init; }

    public required string ArtifactDigest { get; init; }

    public JsonNode? ArtifactPreview { get; init; }

    /// <summary><c>pending</c>, or how it ended: <c>approved</c>, <c>rejected</c>, <c>aborted</c>, <c>expired</c> (by its own expiry), <c>closed</c> (its run ended first).</summary>
    [AllowedValues(ApprovalStates.Pending, ApprovalStates.Approved, ApprovalStates.Rejected, ApprovalStates.Aborted, ApprovalStates.Expired, ApprovalStates.Closed)]
    public required string State { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The decision once an approver (or the expiry) decided; <see langword="null"/> while pending or when closed.</summary>
    public DecisionView? Decision { get; init; }

    /// <summary>When a closed request was closed (its run ended first).</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    public required ApprovalLinks Links { get; init; }

    public static ApprovalView Of(ApprovalRequestRow row) => new()
    {
        RequestId = row.RequestId,
        RunId = row.RunId,
        Generation = row.Generation,
        PhaseKey = row.PhaseKey,
        Attempt = row.Attempt,
        Gate = row.Gate,
        ArtifactDigest = row.ArtifactDigest,
        ArtifactPreview = row.ArtifactPreview is { } preview ? JsonNode.Parse(preview) : null,
        State = row.State,
        RequestedAt = row.RequestedAt,
        ExpiresAt = row.ExpiresAt,
        Decision = row.State is ApprovalStates.Pending or ApprovalStates.Closed || row.DecidedAt is null
            ? null
            : new DecisionView(ActionOf(row.State), row.DecidedBy, row.Comment, row.DecidedAt.Value),
        ClosedAt = row.State == ApprovalStates.Closed ? row.DecidedAt : null,
        Links = new ApprovalLinks(
            $"/api/approvals/{row.RequestId}",
            $"/api/approvals/{row.RequestId}/decision",
            $"/api/runs/{row.RunId}",
            $"/api/runs/{row.RunId}/artifacts/{Uri.EscapeDataString(row.PhaseKey)}?attempt={row.Attempt}"),
    };

    private static string ActionOf(string state) => state switch
    {
        ApprovalStates.Approved => "approve",
        ApprovalStates.Rejected => "reject",
        ApprovalStates.Aborted => "abort",
        _ => "expire",
    };
}

/// <summary>A request's decision: <c>approve</c>, <c>reject</c>, <c>abort</c> or <c>expire</c>.</summary>
internal sealed record DecisionView(
    [property: AllowedValues("approve", "reject", "abort", "expire")] string Action, string? DecidedBy, string? Comment, DateTimeOffset DecidedAt);

/// <summary>Where to go from a request.</summary>
internal sealed record ApprovalLinks(string Self, string Decision, string Run, string Artifact);

/// <summary>A page of <c>GET /api/approvals</c>; <see cref="NextCursor"/> is <see langword="null"/> on the last page.</summary>
internal sealed record ApprovalPage(IReadOnlyList<ApprovalView> Items, string? NextCursor);
