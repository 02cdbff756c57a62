using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>Reads of a run's event log shared by <c>/events</c> and <c>/events/stream</c>.</summary>
internal static class RunEventLog
{
    /// <summary>The event types that end a run.</summary>
    private static readonly string[] s_terminalEventTypes =
        [RunEventTypes.RunCompleted, RunEventTypes.RunFailed, RunEventTypes.RunAborted, RunEventTypes.RunCancelled];

    /// <summary>Events after <paramref name="afterSeq"/> (up to <paramref name="upTo"/> when given), by seq.</summary>
    public static Task<List<RunEventView>> ReadAsync(
        OrchestratorDbContext db, Guid runId, long afterSeq, long? upTo, int count, CancellationToken cancellationToken) =>
        db.RunEvents.AsNoTracking()
            .Where(e => e.RunId == runId && e.Seq > afterSeq && (upTo == null || e.Seq <= upTo))
            .OrderBy(e => e.Seq)
            .Take(count)
            .Select(e => new RunEventView(e.Seq, e.Type, e.At, e.Payload))
            .ToListAsync(cancellationToken);

    /// <summary>The run's last handed-out seq and its state (one primary-key read); null when the run does not exist.</summary>
    public static async Task<RunHead?> HeadAsync(OrchestratorDbContext db, Guid runId, CancellationToken cancellationToken)
    {
        var head = await db.Runs.AsNoTracking()
            .Where(r => r.CorrelationId == runId)
            .Select(r => new { r.EventSeq, r.CurrentState })
            .SingleOrDefaultAsync(cancellationToken);
        return head is null ? null : new RunHead(head.EventSeq, RunStates.Of(head.CurrentState));
    }

    /// <summary>
    /// Where the run's stream ends, given its <paramref name="head"/>: when the run is in a terminal state, the seq of its
    /// latest terminal event (a retried run continues after <c>run.failed</c>, so only the latest one counts, and only
    /// while the run is terminal).
    /// </summary>
    public static async Task<RunStreamEnd> EndAsync(OrchestratorDbContext db, Guid runId, RunHead head, CancellationToken cancellationToken)
    {
        if (!RunStates.IsTerminal(head.State))
        {
            return new RunStreamEnd(Terminal: false, TerminalSeq: null);
        }

        var terminalTypes = s_terminalEventTypes;
        var terminalSeq = await db.RunEvents.AsNoTracking()
            .Where(e => e.RunId == runId && terminalTypes.Contains(e.Type))
            .MaxAsync(e => (long?)e.Seq, cancellationToken);
        return new RunStreamEnd(Terminal: true, terminalSeq);
    }
}

/// <summary>The run's event counter (the seq of its latest event) and its state.</summary>
internal sealed record RunHead(long EventSeq, RunState State);

/// <summary>Whether the run is terminal, and the seq of the terminal event its stream closes after.</summary>
internal sealed record RunStreamEnd(bool Terminal, long? TerminalSeq);

/// <summary>Gateway-relative paths of a run's resources.</summary>
internal static class RunPaths
{
    public static string Run(Guid runId) => $"/api/runs/{runId}";

    public static string Artifact(Guid runId, string phaseKey) => $"/api/runs/{runId}/artifacts/{Uri.EscapeDataString(phaseKey)}";

    /// <summary>The approval service's request a run waits on (its id is name-based: the orchestrator chose it).</summary>
    public static string Approval(Guid requestId) => $"/api/approvals/{requestId}";
}
