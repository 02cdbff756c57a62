using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Report.Reports;

/// <summary>
/// The report of one finished run generation: its manifest plus a readable summary — state, error, a phase table with
/// durations and attempts, artifacts with digests, the approval decisions (who, when, why), usage and cost, the last
/// events with their payloads — as JSON and as Markdown.
/// </summary>
public sealed record RunReport(JsonObject Json, string Markdown)
{
    /// <summary>Builds the report of <paramref name="finished"/> around its <paramref name="manifest"/>.</summary>
    public static RunReport From(RunFinished finished, RunManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(finished);
        ArgumentNullException.ThrowIfNull(manifest);
        var runId = finished.AliasOf ?? finished.RunId;
        var state = RunManifest.WireName(finished.State);

        var json = new JsonObject
        {
            ["runId"] = runId.ToString(),
            ["generation"] = finished.Generation,
            ["state"] = state,
            ["error"] = manifest.Document["error"]?.DeepClone(),
            ["summary"] = new JsonObject
            {
                ["durationMs"] = DurationMs(finished.StartedAt, finished.EndedAt),
                ["phases"] = new JsonArray(finished.Phases.Select(phase => (JsonNode?)new JsonObject
                {
                    ["key"] = phase.Key,
                    ["state"] = RunManifest.WireName(phase.State),
                    ["attempts"] = phase.Attempts.Count,
                    ["durationMs"] = PhaseDurationMs(phase),
                    ["artifactDigest"] = phase.ArtifactDigest,
                }).ToArray()),
                ["usage"] = manifest.Document["usage"]?.DeepClone(),
                ["approvals"] = new JsonArray(Approvals(finished).Select(a =>
                {
                    var approval = RunManifest.Approval(a.Approval);
                    approval.Insert(0, "phaseKey", a.PhaseKey);
                    return (JsonNode?)approval;
                }).ToArray()),
            },
            ["lastEvents"] = new JsonArray(finished.LastEvents.Select(e => (JsonNode?)new JsonObject
            {
                ["seq"] = e.Seq,
                ["type"] = e.Type,
                ["at"] = RunManifest.Timestamp(e.At),
                ["payload"] = e.Payload?.DeepClone() ?? new JsonObject(),
            }).ToArray()),
            ["manifest"] = manifest.Document.DeepClone(),
            ["manifestDigest"] = manifest.Digest,
        };

        return new RunReport(json, RenderMarkdown(finished, runId, state, manifest));
    }

    private static string RenderMarkdown(RunFinished finished, Guid runId, string state, RunManifest manifest)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Run {runId}: {state}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"- Template: `{Cell(finished.Template.Name)}@{finished.Template.Version}` (`{finished.Template.Hash}`)\n");
        md.Append(CultureInfo.InvariantCulture, $"- Generation: {finished.Generation}\n");
        md.Append(CultureInfo.InvariantCulture, $"- Input bundle: `{finished.InputBundleHash}`\n");
        if (finished.ParentRunId is { } parent)
        {
            md.Append(CultureInfo.InvariantCulture, $"- Parent run: `{parent}` (depth {finished.Depth})\n");
        }

        md.Append(CultureInfo.InvariantCulture, $"- Started: {RunManifest.Timestamp(finished.StartedAt) ?? "—"}; ended: {RunManifest.Timestamp(finished.EndedAt)}; duration: {Duration(DurationMs(finished.StartedAt, finished.EndedAt))}\n");
        md.Append(CultureInfo.InvariantCulture, $"- Manifest digest: `{manifest.Digest}`\n");
        if (finished.Error is { } error)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n**Error** `{error.Code}`{(error.PhaseKey is null ? "" : $" in phase `{Cell(error.PhaseKey)}`")}: {Cell(error.Message)}\n");
        }

        md.Append("\n## Phases\n\n| phase | state | attempts | duration | artifact |\n|---|---|---|---|---|\n");
        foreach (var phase in finished.Phases)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"| {Cell(phase.Key)} | {RunManifest.WireName(phase.State)} | {phase.Attempts.Count} | {Duration(PhaseDurationMs(phase))} | {(phase.ArtifactDigest is null ? "—" : $"`{phase.ArtifactDigest}`")} |\n");
        }

        md.Append("\n## Attempts\n\n| phase | attempt | outcome | duration | tokens in/out | cost (USD) |\n|---|---|---|---|---|---|\n");
        foreach (var phase in finished.Phases)
        {
            foreach (var attempt in phase.Attempts.OrderBy(a => a.Attempt))
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"| {Cell(phase.Key)} | {attempt.Attempt} | {RunManifest.WireName(attempt.Outcome)} | {Duration(DurationMs(attempt.StartedAt, attempt.EndedAt))} | {attempt.Usage.InputTokens}/{attempt.Usage.OutputTokens} | {attempt.Usage.CostUsd.ToString("0.######", CultureInfo.InvariantCulture)} |\n");
            }
        }

        var approvals = Approvals(finished).ToList();
        if (approvals.Count > 0)
        {
            md.Append("\n## Approvals\n\n| phase | gate | attempt | decision | by | at | comment |\n|---|---|---|---|---|---|---|\n");
            foreach (var (phaseKey, a) in approvals)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"| {Cell(phaseKey)} | {Cell(a.Gate)} | {a.Attempt} | {RunManifest.WireName(a.Action)} | {Cell(a.DecidedBy ?? "—")} | {RunManifest.Timestamp(a.DecidedAt)} | {Cell(a.Comment ?? "")} |\n");
            }
        }

        var usage = finished.TotalUsage;
        md.Append(CultureInfo.InvariantCulture,
            $"\n## Usage\n\n{usage.InputTokens} input tokens, {usage.OutputTokens} output tokens, {usage.CostUsd.ToString("0.######", CultureInfo.InvariantCulture)} USD.\n");

        if (finished.LastEvents.Count > 0)
        {
            md.Append("\n## Last events\n\n| seq | event | at |\n|---|---|---|\n");
            foreach (var e in finished.LastEvents)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {e.Seq} | {Cell(e.Type)} | {RunManifest.Timestamp(e.At)} |\n");
            }
        }

        return md.ToString();
    }

    /// <summary>Every decision at a gate, phase by phase in template order, each phase's in the order they were applied.</summary>
    private static IEnumerable<(string PhaseKey, ApprovalSummary Approval)> Approvals(RunFinished finished) =>
        finished.Phases.SelectMany(phase => phase.Approvals.Select(approval => (phase.Key, approval)));

    private static long? DurationMs(DateTimeOffset? from, DateTimeOffset to) =>
        from is { } start ? (long)Math.Max(0, (to - start).TotalMilliseconds) : null;

    private static long? PhaseDurationMs(PhaseSummary phase) =>
        phase.Attempts.Count == 0 ? null : DurationMs(phase.Attempts.Min(a => a.StartedAt), phase.Attempts.Max(a => a.EndedAt));

    private static string Duration(long? ms) => ms switch
    {
        null => "—",
        < 1000 => $"{ms} ms",
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.##} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms / 60_000.0:0.##} min"),
    };

    /// <summary>Text from a run (messages, keys) must not break the table or inject Markdown structure.</summary>
    private static string Cell(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r", " ", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal)
            .Replace("`", "'", StringComparison.Ordinal);
}
