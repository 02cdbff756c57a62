using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// What the run saga writes beside its own row, in the same transaction: the append-only event log, the artifacts,
/// and the durable deadlines the deadline scan watches. Backed by the orchestrator's database.
/// </summary>
public interface IRunJournal
{
    /// <summary>
    /// Adds one event to the pass's writes (its <c>seq</c> comes from the locked run row, so the log is gap-free; only
    /// <see cref="Lifecycle.RunEffects"/> calls this). Written by the transaction's next <c>SaveChanges</c>.
    /// </summary>
    void Append(RunEventEntry entry);

    /// <summary>
    /// Adds to the pass's writes what an attempt produced (valid or not), content-addressed by its digest. Written by the
    /// transaction's next <c>SaveChanges</c>, in the same round trip as the run row.
    /// </summary>
    void StoreArtifact(Guid runId, string phaseKey, int attempt, JsonNode artifact, string digest, bool accepted);

    /// <summary>Adds to the pass's writes one of the run's deadlines (replacing one of the same kind); written with the next <c>SaveChanges</c>.</summary>
    void SetDeadline(RunDeadlineEntry deadline);

    /// <summary>Adds to the pass's writes the removal of the run's deadline of <paramref name="kind"/>, if any; written with the next <c>SaveChanges</c>.</summary>
    void ClearDeadline(Guid runId, DeadlineKind kind);

    /// <summary>Adds to the pass's writes the removal of every deadline of the run (it ended); written with the next <c>SaveChanges</c>.</summary>
    void ClearDeadlines(Guid runId);

    /// <summary>
    /// Claims <paramref name="inputBundleHash"/> for <paramref name="runId"/> now: true when the run holds it afterwards
    /// (it was free or already the run's), false when another run holds it.
    /// </summary>
    Task<bool> ClaimInputBundleAsync(string inputBundleHash, Guid runId, CancellationToken cancellationToken);

    /// <summary>Releases the claim on <paramref name="inputBundleHash"/> now, if <paramref name="runId"/> holds it.</summary>
    Task ReleaseInputBundleAsync(string inputBundleHash, Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes, now, the one retry of <paramref name="runId"/>'s failed <paramref name="generation"/>: true for the first
    /// caller, false for every later one (another retry of that failure was accepted first).
    /// </summary>
    Task<bool> ClaimRetryAsync(Guid runId, int generation, CancellationToken cancellationToken);

    /// <summary>
    /// What the run's <c>RunFinished</c> needs, in one round trip: its latest <paramref name="eventCount"/> events (as
    /// <see cref="RecentEventsAsync"/>) and the sender-chosen ids deduplicated onto it that still wait for this
    /// <paramref name="generation"/>'s <c>RunFinished</c> (taken: a later call returns them no more).
    /// </summary>
    Task<RunFinishedReads> ReadForRunFinishedAsync(Guid runId, int generation, int eventCount, CancellationToken cancellationToken);

    /// <summary>The run's latest events (including those appended in this transaction), oldest first.</summary>
    Task<IReadOnlyList<RunEventSummary>> RecentEventsAsync(Guid runId, int count, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="report"/> on its run now, without loading the run, in one statement of its own
    /// transaction: the report's URL and generation on the row and a <c>report.ready</c> event whose <c>seq</c> comes
    /// from the row's counter (the statement holds the row's lock). Returns the event's <c>seq</c>, or
    /// <see langword="null"/> when nothing was recorded (an older or already recorded generation, or an unknown run).
    /// </summary>
    Task<long?> AppendReportReadyAsync(ReportReady report, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>What a finishing run reads for its <c>RunFinished</c>.</summary>
/// <param name="LastEvents">The run's latest events, oldest first.</param>
/// <param name="Aliases">The aliases to publish <c>RunFinished</c> under as well.</param>
public sealed record RunFinishedReads(IReadOnlyList<RunEventSummary> LastEvents, IReadOnlyList<RunAliasRead> Aliases);

/// <summary>An alias a finishing run publishes <c>RunFinished</c> under.</summary>
/// <param name="AliasRunId">The id the deduplicated start used.</param>
/// <param name="ParentRunId">The parent whose <c>run</c> phase started it as a child, if one did.</param>
public sealed record RunAliasRead(Guid AliasRunId, Guid? ParentRunId);

/// <summary>One entry of a run's event log.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Seq">Gap-free per run, from 1.</param>
/// <param name="Type">One of <see cref="RunEventTypes"/>.</param>
/// <param name="Payload">What happened, as JSON.</param>
/// <param name="IdempotencyKey">A domain key unique per run (e.g. <c>result:{ExecutionId}</c>).</param>
/// <param name="At">When.</param>
public sealed record RunEventEntry(Guid RunId, long Seq, string Type, JsonObject Payload, string IdempotencyKey, DateTimeOffset At);

/// <summary>What a deadline is for.</summary>
public enum DeadlineKind
{
    /// <summary>An attempt's schedule-to-close deadline: when due, <see cref="PhaseTimedOut"/>.</summary>
    Attempt,

    /// <summary>A retry's backoff: when due, <see cref="RetryBackoffElapsed"/>.</summary>
    Backoff,

    /// <summary>The whole run's timeout: when due, <see cref="RunTimedOut"/>.</summary>
    Run,
}

/// <summary>A durable deadline of a run.</summary>
public sealed record RunDeadlineEntry(
    Guid RunId, DeadlineKind Kind, DateTimeOffset DueAt, string? PhaseKey = null, int? Attempt = null, Guid? ExecutionId = null, int? Generation = null);
