using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;

namespace RunMesh.Report.Tests.Reports;

/// <summary>A finished two-phase run whose second phase needed a repair attempt.</summary>
internal static class Sample
{
    public static readonly Guid RunId = Guid.Parse("3f1c1d8e-9a51-4c55-9b8c-0d7c1f1b2a10");
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 6, 0, 0, TimeSpan.Zero);
    public static readonly string TemplateHash = Digest.OfJson("""{"name":"spec-review","version":1}""");
    public static readonly string BundleHash = Digest.OfJson("""{"bundle":1}""");

    public static RunFinished Finished() => new()
    {
        RunId = RunId,
        Generation = 1,
        State = RunState.Completed,
        Template = new TemplateRef { Name = "spec-review", Version = 1, Hash = TemplateHash },
        InputBundleHash = BundleHash,
        Inputs = new JsonObject { ["feature"] = "dark mode" },
        Model = new JsonObject { ["name"] = "mock" },
        Options = new RunOptions { Labels = new Dictionary<string, string> { ["team"] = "docs" } },
        Labels = new Dictionary<string, string> { ["team"] = "docs" },
        Phases =
        [
            Phase("spec", Attempt(1, AttemptOutcome.Succeeded, 0, 120)) with { Approvals = [SpecApproval] },
            Phase("review", Attempt(1, AttemptOutcome.InvalidArtifact, 200, 260), Attempt(2, AttemptOutcome.Succeeded, 270, 340)),
        ],
        LastEvents =
        [
            new RunEventSummary
            {
                Seq = 9,
                Type = RunEventTypes.PhaseSucceeded,
                At = Start.AddMilliseconds(340),
                Payload = new JsonObject { ["phaseKey"] = "review", ["attempt"] = 2, ["usage"] = new JsonObject { ["costUsd"] = 0.00005m } },
            },
            new RunEventSummary
            {
                Seq = 10,
                Type = RunEventTypes.RunCompleted,
                At = Start.AddMilliseconds(341),
                Payload = new JsonObject { ["generation"] = 1, ["error"] = null },
            },
        ],
        StartedAt = Start,
        EndedAt = Start.AddMilliseconds(341),
        TotalUsage = new Usage { InputTokens = 30, OutputTokens = 60, CostUsd = 0.00015m },
    };

    /// <summary>The approver's decision at the <c>spec</c> phase's gate.</summary>
    public static readonly ApprovalSummary SpecApproval = new()
    {
        RequestId = Guid.Parse("6a0f3c52-1d7e-5b8a-9c41-2e0d7f3b8a16"),
        Gate = "spec-approval",
        Attempt = 1,
        ArtifactDigest = Digest.OfJson("""{"artifact":"spec"}"""),
        Action = ApprovalAction.Approve,
        DecidedBy = "alice",
        DecidedAt = Start.AddMilliseconds(180),
        Comment = "Looks right.",
    };

    private static PhaseSummary Phase(string key, params AttemptSummary[] attempts) => new()
    {
        Key = key,
        State = PhaseState.Completed,
        InstructionsDigest = Digest.OfJson($"\"{key} instructions\""),
        SchemaDigest = Digest.OfJson($$"""{"title":"{{key}}"}"""),
        ArtifactDigest = Digest.OfJson($$"""{"artifact":"{{key}}"}"""),
        Attempts = attempts,
    };

    private static AttemptSummary Attempt(int number, AttemptOutcome outcome, int fromMs, int toMs) => new()
    {
        Attempt = number,
        ExecutionId = new Guid(number, 0, 0, [0, 0, 0, 0, 0, 0, 0, (byte)fromMs]),
        Outcome = outcome,
        ErrorKind = outcome == AttemptOutcome.InvalidArtifact ? FailureKind.InvalidArtifact : null,
        StartedAt = Start.AddMilliseconds(fromMs),
        EndedAt = Start.AddMilliseconds(toMs),
        Usage = new Usage { InputTokens = 10, OutputTokens = 20, CostUsd = 0.00005m },
    };
}
