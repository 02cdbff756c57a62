using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>One page of <c>GET /api/runs</c>: newest first; <see cref="NextCursor"/> is null on the last page.</summary>
internal sealed record RunPage(IReadOnlyList<RunSummaryView> Items, string? NextCursor);

/// <summary>A run as listed by <c>GET /api/runs</c>.</summary>
internal sealed record RunSummaryView
{
    public required Guid RunId { get; init; }

    public required RunState State { get; init; }

    public required TemplateNameView Template { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunError? Error { get; init; }

    public required SelfLink Links { get; init; }
}

/// <summary>The template of a listed run.</summary>
internal sealed record TemplateNameView(string Name, int Version);

/// <summary>A link to the resource itself.</summary>
internal sealed record SelfLink(string Self);

/// <summary>A run as <c>GET /api/runs/{runId}</c> shows it (the shape docs/api-runs.md documents, plus its generation and, for an alias, <c>aliasOf</c>).</summary>
internal sealed record RunView
{
    public required Guid RunId { get; init; }

    /// <summary>The id that was asked for, when it is an alias of <see cref="RunId"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? AliasOf { get; init; }

    public required RunState State { get; init; }

    public required TemplateRef Template { get; init; }

    public required string InputBundleHash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public required IReadOnlyList<PhaseView> Phases { get; init; }

    public required Usage Usage { get; init; }

    public Budget? Budget { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunError? Error { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReportUrl { get; init; }

    /// <summary>How often the run has finished (0 until it first does).</summary>
    public required int Generation { get; init; }

    /// <summary>The run that started this one (<c>parentRunId</c> at start); <see langword="null"/> for a top-level run.</summary>
    public Guid? ParentRunId { get; init; }

    /// <summary>0 for a top-level run, the parent's depth + 1 for a child.</summary>
    public int Depth { get; init; }

    /// <summary>The child runs its <c>run</c> phases started, in the order they were started (empty without such phases).</summary>
    public required IReadOnlyList<ChildView> Children { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required RunLinks Links { get; init; }
}

/// <summary>A child run: which phase, attempt and item started it, and its state as the parent last learned it.</summary>
internal sealed record ChildView(Guid RunId, string PhaseKey, int Attempt, int Index, RunState State);

/// <summary>One phase of a run: its state, how many attempts it took and the accepted artifact's digest.</summary>
internal sealed record PhaseView(
    string Key,
    PhaseState State,
    int Attempts,
    int? CurrentAttempt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? ArtifactDigest);

/// <summary>Where a run's parts are (gateway-relative paths).</summary>
internal sealed record RunLinks
{
    public required string Self { get; init; }

    public required string Events { get; init; }

    public required string Stream { get; init; }

    /// <summary>The accepted artifact of each phase that has one, by phase key.</summary>
    public required IReadOnlyDictionary<string, string> Artifacts { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Report { get; init; }

    /// <summary>While the run waits at a gate: its pending approval request (<c>/api/approvals/{requestId}</c>, approver role).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Approval { get; init; }
}

/// <summary>One entry of a run's event log, as <c>/events</c> lists it and <c>/events/stream</c> sends it.</summary>
internal sealed record RunEventView(long Seq, string Type, DateTimeOffset At, JsonObject Payload);

/// <summary>One page of <c>/events</c>; <see cref="NextAfter"/> is null when the page reached the end of the log.</summary>
internal sealed record RunEventPage(IReadOnlyList<RunEventView> Items, long? NextAfter);
