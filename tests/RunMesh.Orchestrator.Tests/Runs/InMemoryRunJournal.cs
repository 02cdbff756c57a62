using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs;

namespace RunMesh.Orchestrator.Tests.Runs;

/// <summary>
/// The run journal for state machine specs on MassTransit's in-memory test harness. The database-backed journal is
/// exercised by the integration tests against PostgreSQL.
/// </summary>
internal sealed class InMemoryRunJournal : IRunJournal
{
    private readonly ConcurrentQueue<RunEventEntry> _events = new();
    private readonly ConcurrentDictionary<(Guid, DeadlineKind), RunDeadlineEntry> _deadlines = new();
    private readonly ConcurrentQueue<(Guid RunId, string PhaseKey, int Attempt, string Digest, bool Accepted)> _artifacts = new();

    public IReadOnlyList<RunEventEntry> Events(Guid runId) => _events.Where(e => e.RunId == runId).OrderBy(e => e.Seq).ToList();

    public IReadOnlyList<string> EventTypes(Guid runId) => Events(runId).Select(e => e.Type).ToList();

    public RunDeadlineEntry? Deadline(Guid runId, DeadlineKind kind) => _deadlines.GetValueOrDefault((runId, kind));

    public IReadOnlyList<(Guid RunId, string PhaseKey, int Attempt, string Digest, bool Accepted)> Artifacts(Guid runId) =>
        _artifacts.Where(a => a.RunId == runId).ToList();

    public void Append(RunEventEntry entry) => _events.Enqueue(entry);

    public void StoreArtifact(Guid runId, string phaseKey, int attempt, JsonNode artifact, string digest, bool accepted) =>
        _artifacts.Enqueue((runId, phaseKey, attempt, digest, accepted));

    public void SetDeadline(RunDeadlineEntry deadline) => _deadlines[(deadline.RunId, deadline.Kind)] = deadline;

    public void ClearDeadline(Guid runId, DeadlineKind kind) => _deadlines.TryRemove((runId, kind), out _);

    public void ClearDeadlines(Guid runId)
    {
        foreach (var kind in Enum.GetValues<DeadlineKind>())
        {
            _deadlines.TryRemove((runId, kind), out _);
        }
    }

    public Task<long?> AppendReportReadyAsync(ReportReady report, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotSupportedException("ReportReady is recorded by one SQL statement; the integration tests cover it.");

    private readonly ConcurrentDictionary<string, Guid> _claims = new();

    public ConcurrentDictionary<Guid, int> Aliases { get; } = new();

    private readonly ConcurrentDictionary<(Guid RunId, int Generation), byte> _retries = new();

    public Guid? ClaimHolder(string inputBundleHash) => _claims.TryGetValue(inputBundleHash, out var runId) ? runId : null;

    public Task<bool> ClaimInputBundleAsync(string inputBundleHash, Guid runId, CancellationToken cancellationToken) =>
        Task.FromResult(_claims.GetOrAdd(inputBundleHash, runId) == runId);

    public Task ReleaseInputBundleAsync(string inputBundleHash, Guid runId, CancellationToken cancellationToken)
    {
        _claims.TryRemove(new KeyValuePair<string, Guid>(inputBundleHash, runId));
        return Task.CompletedTask;
    }

    public Task<bool> ClaimRetryAsync(Guid runId, int generation, CancellationToken cancellationToken) =>
        Task.FromResult(_retries.TryAdd((runId, generation), 0));

    public async Task<RunFinishedReads> ReadForRunFinishedAsync(Guid runId, int generation, int eventCount, CancellationToken cancellationToken) =>
        new(await RecentEventsAsync(runId, eventCount, cancellationToken), []);

    public Task<IReadOnlyList<RunEventSummary>> RecentEventsAsync(Guid runId, int count, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RunEventSummary>>(Events(runId).TakeLast(count)
            .Select(e => new RunEventSummary { Seq = e.Seq, Type = e.Type, At = e.At, Payload = e.Payload.DeepClone() })
            .ToList());
}
