using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Report.Reports.Api;

// The shapes of what the report endpoints serve, for the API document. The report and the manifest are stored as JSON
// when a run finishes (RunReport, RunManifest) and served as stored; these records describe them, and the report
// service's tests hold each stored document to them (every field known, every required field present).

/// <summary><c>GET /api/runs/{runId}/report</c>: the report of one generation of a run.</summary>
public sealed record RunReportDocument
{
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The generation this report is of (1, then 2 after a retry that finished again).</summary>
    public required int Generation { get; init; }

    /// <summary>How the generation ended.</summary>
    public required RunState State { get; init; }

    /// <summary>Why it did not complete; <see langword="null"/> when it completed.</summary>
    public required ManifestError? Error { get; init; }

    /// <summary>The readable summary.</summary>
    public required ReportSummary Summary { get; init; }

    /// <summary>The run's last events (at most 20), oldest first.</summary>
    public required IReadOnlyList<ReportEvent> LastEvents { get; init; }

    /// <summary>The provenance manifest.</summary>
    public required RunManifestDocument Manifest { get; init; }

    /// <summary><c>sha256:</c> of the manifest's canonical JSON (RFC 8785).</summary>
    public required string ManifestDigest { get; init; }

    /// <summary>The run's child runs that have a report (outside the manifest and its digest).</summary>
    public required IReadOnlyList<ChildRunDocument> Children { get; init; }
}

/// <summary>The summary of a report.</summary>
public sealed record ReportSummary
{
    /// <summary>From the run's start to its end; <see langword="null"/> when it never started.</summary>
    public required long? DurationMs { get; init; }

    /// <summary>Each phase: state, attempts, duration, accepted artifact.</summary>
    public required IReadOnlyList<ReportPhase> Phases { get; init; }

    /// <summary>What the run consumed.</summary>
    public required Usage Usage { get; init; }

    /// <summary>Every decision at a gate, phase by phase.</summary>
    public required IReadOnlyList<ReportApproval> Approvals { get; init; }
}

/// <summary>One phase in a report's summary.</summary>
public sealed record ReportPhase
{
    public required string Key { get; init; }

    public required PhaseState State { get; init; }

    /// <summary>How many attempts it took.</summary>
    public required int Attempts { get; init; }

    /// <summary>From its first attempt's start to its last attempt's end; <see langword="null"/> without attempts.</summary>
    public required long? DurationMs { get; init; }

    public required string? ArtifactDigest { get; init; }
}

/// <summary>A decision at a gate in a report's summary: the manifest's approval with its phase.</summary>
public sealed record ReportApproval
{
    public required string PhaseKey { get; init; }

    public required Guid RequestId { get; init; }

    public required string Gate { get; init; }

    public required int Attempt { get; init; }

    public required string ArtifactDigest { get; init; }

    public required ApprovalAction Action { get; init; }

    public required string? DecidedBy { get; init; }

    public required DateTimeOffset DecidedAt { get; init; }

    public required string? Comment { get; init; }
}

/// <summary>An event of a report's <c>lastEvents</c> (docs/events.md).</summary>
public sealed record ReportEvent
{
    public required long Seq { get; init; }

    public required string Type { get; init; }

    public required DateTimeOffset At { get; init; }

    public required JsonObject Payload { get; init; }
}

/// <summary><c>GET /api/runs/{runId}/manifest</c>: the manifest, its digest and the child runs beside it.</summary>
public sealed record ManifestResponse
{
    /// <summary>The provenance manifest, as stored (canonical: its sha256 is <see cref="ManifestDigest"/>).</summary>
    public required RunManifestDocument Manifest { get; init; }

    /// <summary><c>sha256:</c> of the manifest's canonical JSON (RFC 8785); the digest <c>ReportReady</c> announced.</summary>
    public required string ManifestDigest { get; init; }

    /// <summary>The run's child runs that have a report (outside the digest).</summary>
    public required IReadOnlyList<ChildRunDocument> Children { get; init; }
}

/// <summary>The provenance manifest of one finished run generation (docs/reports.md).</summary>
public sealed record RunManifestDocument
{
    /// <summary>The manifest's format version (2).</summary>
    public required int ManifestVersion { get; init; }

    public required Guid RunId { get; init; }

    public required int Generation { get; init; }

    public required RunState State { get; init; }

    public required ManifestError? Error { get; init; }

    public required Guid? ParentRunId { get; init; }

    /// <summary>0 for a top-level run, its parent's + 1 for a child.</summary>
    public required int Depth { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required ManifestTemplate Template { get; init; }

    /// <summary>What the input bundle hash is of.</summary>
    public required ManifestInputBundle InputBundle { get; init; }

    public required IReadOnlyList<ManifestPhase> Phases { get; init; }

    /// <summary>The whole run's usage.</summary>
    public required Usage Usage { get; init; }

    /// <summary><see langword="null"/> when the run never started (a refused start).</summary>
    public required DateTimeOffset? StartedAt { get; init; }

    public required DateTimeOffset EndedAt { get; init; }
}

/// <summary>Why a run did not complete.</summary>
public sealed record ManifestError
{
    /// <summary>A stable error code (e.g. <c>approval_rejected</c>, <c>budget_exceeded</c>).</summary>
    public required string Code { get; init; }

    public required string Message { get; init; }

    public required string? PhaseKey { get; init; }
}

/// <summary>The template a run ran.</summary>
public sealed record ManifestTemplate
{
    public required string Name { get; init; }

    public required int Version { get; init; }

    /// <summary><c>sha256:</c> of its canonical JSON.</summary>
    public required string Hash { get; init; }
}

/// <summary>The input bundle: its hash and its parts.</summary>
public sealed record ManifestInputBundle
{
    /// <summary><c>sha256:</c> of the canonical <c>{templateHash, inputs, model, options}</c>.</summary>
    public required string Hash { get; init; }

    public required JsonObject Inputs { get; init; }

    public required JsonObject Model { get; init; }

    /// <summary>The options as hashed: defaults applied, <c>force</c> left out.</summary>
    public required ManifestOptions Options { get; init; }
}

/// <summary>A run's options as they enter its input bundle hash.</summary>
public sealed record ManifestOptions
{
    public required int MaxDepth { get; init; }

    public required Budget? Budget { get; init; }

    public required int? TimeoutSeconds { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }
}

/// <summary>One phase in the manifest.</summary>
public sealed record ManifestPhase
{
    public required string Key { get; init; }

    public required PhaseState State { get; init; }

    /// <summary><c>sha256:</c> of the rendered instructions of its last attempt.</summary>
    public required string? InstructionsDigest { get; init; }

    /// <summary><c>sha256:</c> of its artifact schema.</summary>
    public required string SchemaDigest { get; init; }

    /// <summary>The accepted artifact's digest; <see langword="null"/> when none was accepted.</summary>
    public required string? ArtifactDigest { get; init; }

    public required IReadOnlyList<ManifestAttempt> Attempts { get; init; }

    public required IReadOnlyList<ManifestApproval> Approvals { get; init; }
}

/// <summary>One attempt of a phase.</summary>
public sealed record ManifestAttempt
{
    public required int Attempt { get; init; }

    public required Guid ExecutionId { get; init; }

    public required AttemptOutcome Outcome { get; init; }

    public required FailureKind? ErrorKind { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset EndedAt { get; init; }

    public required long DurationMs { get; init; }

    public required Usage Usage { get; init; }
}

/// <summary>One decision at a gate of a phase.</summary>
public sealed record ManifestApproval
{
    public required Guid RequestId { get; init; }

    public required string Gate { get; init; }

    public required int Attempt { get; init; }

    public required string ArtifactDigest { get; init; }

    public required ApprovalAction Action { get; init; }

    public required string? DecidedBy { get; init; }

    public required DateTimeOffset DecidedAt { get; init; }

    public required string? Comment { get; init; }
}

/// <summary>A child run beside a parent's manifest.</summary>
public sealed record ChildRunDocument
{
    public required Guid RunId { get; init; }

    /// <summary>Its latest reported generation.</summary>
    public required int Generation { get; init; }

    /// <summary>How that generation ended.</summary>
    public required RunState State { get; init; }

    /// <summary><c>name@version</c>.</summary>
    public required string Template { get; init; }

    public required string ManifestDigest { get; init; }

    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>The child's report.</summary>
    public required string ReportUrl { get; init; }
}
