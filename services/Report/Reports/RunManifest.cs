using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Report.Reports;

/// <summary>
/// The provenance manifest of one finished run generation, built only from its <see cref="RunFinished"/>, and its
/// digest (<c>sha256</c> of the manifest's canonical JSON). The same message always yields the same bytes, so the
/// digest never changes once it has been sent in <see cref="ReportReady"/>. Child-run edges are not part of it.
/// </summary>
public sealed record RunManifest(JsonObject Document, string Digest)
{
    /// <summary>
    /// Bumped when the manifest's shape changes, so readers can tell versions apart: 2 added each phase's
    /// <c>approvals</c> (who decided what at its gates, and when).
    /// </summary>
    public const int FormatVersion = 2;

    /// <summary>Builds the manifest of <paramref name="finished"/>.</summary>
    public static RunManifest From(RunFinished finished)
    {
        ArgumentNullException.ThrowIfNull(finished);
        var runId = finished.AliasOf ?? finished.RunId;
        var document = new JsonObject
        {
            ["manifestVersion"] = FormatVersion,
            ["runId"] = runId.ToString(),
            ["generation"] = finished.Generation,
            ["state"] = WireName(finished.State),
            ["error"] = finished.Error is null ? null : new JsonObject
            {
                ["code"] = finished.Error.Code,
                ["message"] = finished.Error.Message,
                ["phaseKey"] = finished.Error.PhaseKey,
            },
            ["parentRunId"] = finished.ParentRunId?.ToString(),
            ["depth"] = finished.Depth,
            ["labels"] = Labels(finished.Labels),
            ["template"] = new JsonObject
            {
                ["name"] = finished.Template.Name,
                ["version"] = finished.Template.Version,
                ["hash"] = finished.Template.Hash,
            },
            ["inputBundle"] = new JsonObject
            {
                ["hash"] = finished.InputBundleHash,
                ["inputs"] = finished.Inputs.DeepClone(),
                ["model"] = finished.Model.DeepClone(),
                ["options"] = BundleOptions(finished.Options),
            },
            ["phases"] = new JsonArray(finished.Phases.Select(Phase).ToArray<JsonNode?>()),
            ["usage"] = Usage(finished.TotalUsage),
            ["startedAt"] = Timestamp(finished.StartedAt),
            ["endedAt"] = Timestamp(finished.EndedAt),
        };
        return new RunManifest(document, RunMesh.Hashing.Digest.Of(document));
    }

    /// <summary>The options as they enter the input bundle hash: defaults applied, <c>force</c> left out.</summary>
    private static JsonObject BundleOptions(RunOptions options) => new()
    {
        ["maxDepth"] = options.MaxDepth,
        ["budget"] = options.Budget is null ? null : new JsonObject
        {
            ["maxCostUsd"] = options.Budget.MaxCostUsd,
            ["maxTokens"] = options.Budget.MaxTokens,
        },
        ["timeoutSeconds"] = options.TimeoutSeconds,
        ["labels"] = Labels(options.Labels),
    };

    private static JsonObject Phase(PhaseSummary phase) => new()
    {
        ["key"] = phase.Key,
        ["state"] = WireName(phase.State),
        ["instructionsDigest"] = phase.InstructionsDigest,
        ["schemaDigest"] = phase.SchemaDigest,
        ["artifactDigest"] = phase.ArtifactDigest,
        ["attempts"] = new JsonArray(phase.Attempts.OrderBy(a => a.Attempt).Select(Attempt).ToArray<JsonNode?>()),
        ["approvals"] = new JsonArray(phase.Approvals.Select(Approval).ToArray<JsonNode?>()),
    };

    private static JsonObject Attempt(AttemptSummary attempt) => new()
    {
        ["attempt"] = attempt.Attempt,
        ["executionId"] = attempt.ExecutionId.ToString(),
        ["outcome"] = WireName(attempt.Outcome),
        ["errorKind"] = attempt.ErrorKind is { } kind ? WireName(kind) : null,
        ["startedAt"] = Timestamp(attempt.StartedAt),
        ["endedAt"] = Timestamp(attempt.EndedAt),
        ["durationMs"] = (long)Math.Max(0, (attempt.EndedAt - attempt.StartedAt).TotalMilliseconds),
        ["usage"] = Usage(attempt.Usage),
    };

    /// <summary>One decision at a gate, in the order the run applied them: the provenance of who let the phase pass (or stopped it).</summary>
    internal static JsonObject Approval(ApprovalSummary approval) => new()
    {
        ["requestId"] = approval.RequestId.ToString(),
        ["gate"] = approval.Gate,
        ["attempt"] = approval.Attempt,
        ["artifactDigest"] = approval.ArtifactDigest,
        ["action"] = WireName(approval.Action),
        ["decidedBy"] = approval.DecidedBy,
        ["decidedAt"] = Timestamp(approval.DecidedAt),
        ["comment"] = approval.Comment,
    };

    private static JsonObject Usage(Usage usage) => new()
    {
        ["inputTokens"] = usage.InputTokens,
        ["outputTokens"] = usage.OutputTokens,
        ["costUsd"] = usage.CostUsd,
    };

    private static JsonObject Labels(IReadOnlyDictionary<string, string> labels)
    {
        var result = new JsonObject();
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }

        return result;
    }

    /// <summary>UTC with seven fractional digits: one spelling per instant, so the digest is stable.</summary>
    internal static string? Timestamp(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The lower-case wire name of a contract enum (its <c>JsonStringEnumMemberName</c>).</summary>
    internal static string WireName<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        System.Text.Json.JsonSerializer.Serialize(value).Trim('"');
}
