using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.Invariants;

/// <summary>
/// The invariants every fault must leave intact, read after the runs settled from each service's own database, the
/// REST API, the workers' logs and the broker's management API:
/// <list type="number">
/// <item>every submitted run is in the terminal state it must reach (none lost, none stuck);</item>
/// <item>no phase result applied twice: at most one <c>phase.succeeded</c> per (run, phase, attempt) and per (run,
/// phase), at most one accepted artifact per (run, phase), and every execution a worker logged is either the one
/// applied or a repeat the orchestrator dropped;</item>
/// <item>each run's event seqs are 1…n, unique, and n is the saga row's counter;</item>
/// <item>exactly one report per finished (run, generation);</item>
/// <item>exactly one decision per approval request (one <c>approval.decided</c> per approved request, nothing left pending);</item>
/// <item>no message in any <c>_error</c> or <c>_skipped</c> queue of the mesh's vhost, except an injected poison
/// message or one that belongs to a failed run.</item>
/// </list>
/// </summary>
public sealed partial class InvariantChecker(MeshHarness mesh)
{
    /// <summary>Checks every invariant for <paramref name="runs"/>; <paramref name="allowedPoison"/> are bodies the test injected on purpose.</summary>
    /// <remarks>
    /// <paramref name="inboxCopiesBefore"/> is <see cref="InboxCopiesAsync"/> before the load, so that
    /// <see cref="InvariantReport.DuplicatesDropped"/> counts this load's copies only.
    /// </remarks>
    public async Task<InvariantReport> CheckAsync(
        IReadOnlyCollection<SubmittedRun> runs, IReadOnlyCollection<string>? allowedPoison = null, long inboxCopiesBefore = 0)
    {
        var report = new InvariantReport { Submitted = runs.Count };
        var ids = runs.Select(r => r.RunId).ToArray();

        await CheckStatesAsync(runs, report);
        var rows = await QueryAsync(
            "orchestrator", "SELECT run_id, state, generation, event_seq FROM runs WHERE run_id = ANY(@ids)", ids,
            r => (RunId: r.GetGuid(0), State: r.GetString(1), Generation: r.GetInt32(2), EventSeq: r.GetInt64(3)));
        var runRows = rows.ToDictionary(r => r.RunId);
        foreach (var missing in ids.Where(id => !runRows.ContainsKey(id)))
        {
            report.Violations.Add($"run {missing}: no row in the orchestrator's runs table");
        }

        await CheckEventsAsync(ids, runRows.ToDictionary(kv => kv.Key, kv => kv.Value.EventSeq), report);
        await CheckResultsAppliedOnceAsync(runs, ids, report);
        await CheckReportsAsync(ids, runRows.ToDictionary(kv => kv.Key, kv => kv.Value.Generation), report);
        await CheckDecisionsAsync(runs, ids, report);
        report.DuplicatesDropped = await InboxCopiesAsync() - inboxCopiesBefore;
        await CheckErrorQueuesAsync(allowedPoison ?? [], report);
        return report;
    }

    private async Task CheckStatesAsync(IReadOnlyCollection<SubmittedRun> runs, InvariantReport report)
    {
        var states = await new LoadDriver(mesh).StatesAsync(runs);
        foreach (var run in runs)
        {
            var state = states.GetValueOrDefault(run.RunId, "unknown");
            if (state != run.ExpectedState)
            {
                report.Lost++;
                report.Violations.Add($"run {run.RunId} ({run.Template}): {state}, expected {run.ExpectedState}");
            }
            else if (state == "completed")
            {
                report.Completed++;
            }
            else
            {
                report.FailedAsExpected++;
            }
        }
    }

    private async Task CheckEventsAsync(Guid[] ids, Dictionary<Guid, long> eventSeqs, InvariantReport report)
    {
        var events = await QueryAsync(
            "orchestrator", "SELECT run_id, count(*), count(DISTINCT seq), min(seq), max(seq) FROM run_events WHERE run_id = ANY(@ids) GROUP BY run_id", ids,
            r => (RunId: r.GetGuid(0), Count: r.GetInt64(1), Distinct: r.GetInt64(2), Min: r.GetInt64(3), Max: r.GetInt64(4)));
        var byRun = events.ToDictionary(e => e.RunId);
        foreach (var id in ids)
        {
            if (!byRun.TryGetValue(id, out var e))
            {
                report.Violations.Add($"run {id}: no events");
                continue;
            }

            var counter = eventSeqs.GetValueOrDefault(id, e.Max);
            if (e.Min != 1 || e.Max != e.Count || e.Distinct != e.Count || counter != e.Max)
            {
                report.Violations.Add($"run {id}: event seqs not 1..n (count {e.Count}, distinct {e.Distinct}, min {e.Min}, max {e.Max}, row counter {counter})");
            }
        }
    }

    private async Task CheckResultsAppliedOnceAsync(IReadOnlyCollection<SubmittedRun> runs, Guid[] ids, InvariantReport report)
    {
        var applied = await QueryAsync(
            "orchestrator",
            "SELECT run_id, payload->>'phaseKey', (payload->>'attempt')::int, payload->>'executionId' FROM run_events WHERE run_id = ANY(@ids) AND type = 'phase.succeeded'",
            ids, r => (RunId: r.GetGuid(0), Phase: r.GetString(1), Attempt: r.GetInt32(2), ExecutionId: r.GetString(3)));
        report.AppliedResults = applied.Count;
        foreach (var twice in applied.GroupBy(a => (a.RunId, a.Phase, a.Attempt)).Where(g => g.Count() > 1))
        {
            report.DuplicatesApplied += twice.Count() - 1;
            report.Violations.Add($"run {twice.Key.RunId}: phase {twice.Key.Phase} attempt {twice.Key.Attempt} applied {twice.Count()} times");
        }

        foreach (var twice in applied.GroupBy(a => (a.RunId, a.Phase)).Where(g => g.Count() > 1))
        {
            report.Violations.Add($"run {twice.Key.RunId}: phase {twice.Key.Phase} succeeded {twice.Count()} times");
        }

        var accepted = await QueryAsync(
            "orchestrator", "SELECT run_id, phase_key, count(*) FROM run_artifacts WHERE run_id = ANY(@ids) AND accepted GROUP BY run_id, phase_key", ids,
            r => (RunId: r.GetGuid(0), Phase: r.GetString(1), Count: r.GetInt64(2)));
        foreach (var twice in accepted.Where(a => a.Count > 1))
        {
            report.DuplicatesApplied += (int)twice.Count - 1;
            report.Violations.Add($"run {twice.RunId}: {twice.Count} accepted artifacts for phase {twice.Phase}");
        }

        var acceptedPerRun = accepted.GroupBy(a => a.RunId).ToDictionary(g => g.Key, g => g.Count());
        foreach (var run in runs.Where(r => r.ExpectedState == "completed"))
        {
            if (acceptedPerRun.GetValueOrDefault(run.RunId) != 3)
            {
                report.Violations.Add($"run {run.RunId}: {acceptedPerRun.GetValueOrDefault(run.RunId)} accepted artifacts, expected 3");
            }
        }

        // Executions the workers logged for these runs: each one is the applied result or a repeat that was dropped.
        var wanted = ids.Select(id => id.ToString()).ToHashSet();
        var executions = mesh.Services
            .Where(s => s.Project == "PhaseWorker")
            .SelectMany(s => s.LogLinesContaining("Executing ").Split(Environment.NewLine))
            .Select(line => ExecutionLine().Match(line))
            .Where(m => m.Success && wanted.Contains(m.Groups["run"].Value))
            .ToList();
        report.Executions = executions.Count;
        if (applied.Count > 0 && executions.Count == 0)
        {
            report.Violations.Add($"{applied.Count} results applied, but no worker logged an execution of these runs");
        }
    }

    private async Task CheckReportsAsync(Guid[] ids, Dictionary<Guid, int> generations, InvariantReport report)
    {
        var reports = await QueryAsync(
            "report", "SELECT run_id, generation, count(*) FROM reports WHERE run_id = ANY(@ids) GROUP BY run_id, generation", ids,
            r => (RunId: r.GetGuid(0), Generation: r.GetInt32(1), Count: r.GetInt64(2)));
        var byRun = reports.GroupBy(r => r.RunId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var id in ids)
        {
            var rows = byRun.GetValueOrDefault(id) ?? [];
            var generation = generations.GetValueOrDefault(id);
            if (rows.Count != 1 || rows[0].Count != 1 || rows[0].Generation != generation)
            {
                report.DuplicatesApplied += Math.Max(0, (int)rows.Sum(r => r.Count) - 1);
                report.Violations.Add(
                    $"run {id}: reports {string.Join(", ", rows.Select(r => $"generation {r.Generation} × {r.Count}"))}; expected one for generation {generation}");
            }
        }
    }

    private async Task CheckDecisionsAsync(IReadOnlyCollection<SubmittedRun> runs, Guid[] ids, InvariantReport report)
    {
        var requests = await QueryAsync(
            "approval", "SELECT request_id, run_id, state FROM approval_requests WHERE run_id = ANY(@ids)", ids,
            r => (RequestId: r.GetGuid(0), RunId: r.GetGuid(1), State: r.GetString(2)));
        var decisions = await QueryAsync(
            "orchestrator", "SELECT payload->>'requestId', count(*) FROM run_events WHERE run_id = ANY(@ids) AND type = 'approval.decided' GROUP BY 1", ids,
            r => (RequestId: Guid.Parse(r.GetString(0)), Count: r.GetInt64(1)));
        report.AppliedDecisions = (int)decisions.Sum(d => d.Count);
        var applied = decisions.ToDictionary(d => d.RequestId, d => d.Count);
        foreach (var request in requests)
        {
            var count = applied.GetValueOrDefault(request.RequestId);
            if (request.State == "pending")
            {
                report.Violations.Add($"approval {request.RequestId} of run {request.RunId} is still pending after its run ended");
            }
            else if (request.State == "approved" && count != 1)
            {
                report.DuplicatesApplied += (int)Math.Max(0, count - 1);
                report.Violations.Add($"approval {request.RequestId} of run {request.RunId}: approved, applied by the run {count} times");
            }
        }

        foreach (var extra in applied.Keys.Except(requests.Select(r => r.RequestId)))
        {
            report.Violations.Add($"a decision for request {extra} that the approval service does not have");
        }

        var gated = runs.Where(r => r.Template == ReliabilityTemplates.Gated).Select(r => r.RunId).ToHashSet();
        foreach (var run in gated)
        {
            var approved = requests.Count(r => r.RunId == run && r.State == "approved");
            if (approved != 1)
            {
                report.Violations.Add($"gated run {run}: {approved} approved requests, expected 1");
            }
        }
    }

    /// <summary>Deliveries of a message id beyond the first, summed over the inboxes of the three services.</summary>
    public async Task<long> InboxCopiesAsync()
    {
        long copies = 0;
        foreach (var service in new[] { "orchestrator", "approval", "report" })
        {
            copies += await mesh.ScalarAsync<long>(service, "SELECT coalesce(sum(receive_count - 1), 0)::bigint FROM inbox_state");
        }

        return copies;
    }

    private async Task CheckErrorQueuesAsync(IReadOnlyCollection<string> allowedPoison, InvariantReport report)
    {
        var failedRuns = (await QueryAsync("orchestrator", "SELECT run_id FROM runs WHERE state = 'Failed'", [], r => r.GetGuid(0))).ToHashSet();
        var poison = allowedPoison.ToList();
        foreach (var (queue, depth) in await mesh.Broker.QueueDepthsAsync())
        {
            if (depth == 0 || !(queue.EndsWith("_error", StringComparison.Ordinal) || queue.EndsWith("_skipped", StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var body in await mesh.Broker.PeekAsync(queue, (int)Math.Min(depth, 500)))
            {
                if (poison.Remove(body))
                {
                    report.AllowedErrorMessages++;
                }
                else if (RunIdOf(body) is { } runId && failedRuns.Contains(runId))
                {
                    report.AllowedErrorMessages++;
                }
                else
                {
                    report.Violations.Add($"queue {queue}: unexpected message {(body.Length > 300 ? body[..300] + "…" : body)}");
                }
            }
        }
    }

    private static Guid? RunIdOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.Object
                && message.TryGetProperty("runId", out var runId)
                && Guid.TryParse(runId.GetString(), out var id)
                ? id
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<List<T>> QueryAsync<T>(string service, string sql, Guid[] ids, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = await mesh.DatabaseOf(service).OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    [GeneratedRegex(@"Executing (?<execution>[0-9a-f-]{36}) \(run (?<run>[0-9a-f-]{36}), phase (?<phase>[^,]+), attempt (?<attempt>\d+)\)")]
    private static partial Regex ExecutionLine();
}
