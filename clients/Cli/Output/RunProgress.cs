using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using Spectre.Console;

namespace RunMesh.Cli.Output;

/// <summary>
/// What a person watching a run sees: each phase's state, attempt, duration, repairs and retries, and its gate — built
/// from the run's document and then kept up to date from its events.
/// </summary>
internal sealed class RunProgress
{
    private readonly List<PhaseProgress> _phases = [];

    public RunProgress(JsonObject run)
    {
        RunId = Terminal.Str(run["runId"]);
        State = Terminal.Str(run["state"]);
        foreach (var phase in run["phases"] as JsonArray ?? [])
        {
            _phases.Add(new PhaseProgress(Terminal.Str(phase?["key"]))
            {
                State = Terminal.Str(phase?["state"]),
                Attempt = phase?["currentAttempt"]?.GetValue<int>(),
                StartedAt = Terminal.Str(phase?["startedAt"]),
                EndedAt = Terminal.Str(phase?["endedAt"]),
            });
        }
    }

    public string RunId { get; }

    public string State { get; private set; }

    /// <summary>Applies one event of the run's stream.</summary>
    public void Apply(StreamEvent streamEvent)
    {
        var payload = streamEvent.Json["payload"] as JsonObject ?? [];
        var at = Terminal.Str(streamEvent.Json["at"]);
        var phase = Terminal.Str(payload["phaseKey"]) is { Length: > 0 } key ? Phase(key) : null;
        switch (streamEvent.Type)
        {
            case "run.started":
            case "run.retried":
                State = "running";
                break;
            case "run.completed":
                State = "completed";
                break;
            case "run.failed":
                State = "failed";
                break;
            case "run.aborted":
                State = "aborted";
                break;
            case "run.cancelled":
                State = "cancelled";
                break;
            case "phase.dispatched" when phase is not null:
                phase.State = "running";
                phase.Attempt = payload["attempt"]?.GetValue<int>();
                if (phase.StartedAt.Length == 0 || phase.EndedAt.Length > 0)
                {
                    phase.StartedAt = at;
                }

                phase.EndedAt = "";
                if (payload["repair"]?.GetValue<bool>() == true)
                {
                    phase.Repairs++;
                }

                break;
            case "phase.succeeded" when phase is not null:
                phase.State = "completed";
                phase.EndedAt = at;
                break;
            case "phase.attempt_failed" or "phase.timed_out" when phase is not null:
                phase.Failures++;
                break;
            case "phase.retry_scheduled" when phase is not null:
                phase.State = "retrying";
                phase.Retries++;
                break;
            case "approval.requested" when phase is not null:
                phase.State = "awaitingApproval";
                phase.Gate = $"{Terminal.Str(payload["gate"])}: pending";
                State = "awaitingApproval";
                break;
            case "approval.decided" when phase is not null:
                var action = Terminal.Str(payload["action"]);
                phase.Gate = $"{Terminal.Str(payload["gate"])}: {action}";
                // Approved: the phase is done unless another gate follows (its approval.requested comes next).
                phase.State = action == "approve" ? "completed" : action switch { "reject" => "rejected", "abort" => "aborted", _ => "expired" };
                if (action == "approve")
                {
                    State = "running";
                }

                break;
        }

        if (streamEvent.Type is "run.failed" or "run.aborted" or "run.cancelled")
        {
            foreach (var open in _phases.Where(p => p.State is "running" or "retrying" or "awaitingApproval"))
            {
                open.State = streamEvent.Type == "run.cancelled" ? "cancelled" : "failed";
                open.EndedAt = at;
            }
        }
    }

    /// <summary>The table of phases.</summary>
    public Table Render()
    {
        var table = Terminal.Table("phase", "state", "attempt", "duration", "repairs", "retries", "gate")
            .Title(new TableTitle($"run {RunId}: {State}"));
        foreach (var phase in _phases)
        {
            table.Row(
                phase.Key, phase.State, phase.Attempt?.ToString(CultureInfo.InvariantCulture) ?? "",
                Terminal.Between(phase.StartedAt.Length > 0 ? JsonValue.Create(phase.StartedAt) : null,
                    phase.EndedAt.Length > 0 ? JsonValue.Create(phase.EndedAt) : null),
                phase.Repairs.ToString(CultureInfo.InvariantCulture), phase.Retries.ToString(CultureInfo.InvariantCulture), phase.Gate);
        }

        return table;
    }

    /// <summary>One plain line for an event: <c>#seq time type phase attempt …</c>.</summary>
    public static string Line(StreamEvent streamEvent)
    {
        var payload = streamEvent.Json["payload"] as JsonObject ?? [];
        var parts = new List<string> { $"#{streamEvent.Id}", Terminal.When(streamEvent.Json["at"]), streamEvent.Type };
        if (Terminal.Str(payload["phaseKey"]) is { Length: > 0 } key)
        {
            parts.Add($"phase={key}");
        }

        foreach (var field in new[] { "attempt", "gate", "action", "decidedBy", "kind", "state", "childRunId" })
        {
            if (payload[field] is { } value)
            {
                parts.Add($"{field}={Terminal.Str(value)}");
            }
        }

        if (payload["repair"]?.GetValue<bool>() == true)
        {
            parts.Add("repair");
        }

        if (payload["error"] is JsonObject error)
        {
            parts.Add($"error={Terminal.Str(error["code"])}: {Terminal.Str(error["message"])}");
        }

        return string.Join(' ', parts);
    }

    private PhaseProgress Phase(string key)
    {
        var phase = _phases.FirstOrDefault(p => p.Key == key);
        if (phase is null)
        {
            phase = new PhaseProgress(key);
            _phases.Add(phase);
        }

        return phase;
    }

    private sealed class PhaseProgress(string key)
    {
        public string Key { get; } = key;

        public string State { get; set; } = "pending";

        public int? Attempt { get; set; }

        public string StartedAt { get; set; } = "";

        public string EndedAt { get; set; } = "";

        public int Repairs { get; set; }

        public int Retries { get; set; }

        public int Failures { get; set; }

        public string Gate { get; set; } = "";
    }
}
