using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.Shared.Tests.Contracts;

public sealed class ContractSerializationTests
{
    // s_web defaults (camelCase, case-insensitive reads) and no global enum converter: the enums' own attributes must do it.
    private static readonly JsonSerializerOptions s_web = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset s_noon = new(2025, 1, 2, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<Enum, string> WireStrings => new()
    {
        { RunState.Pending, "pending" },
        { RunState.Running, "running" },
        { RunState.AwaitingApproval, "awaitingApproval" },
        { RunState.Completed, "completed" },
        { RunState.Failed, "failed" },
        { RunState.Aborted, "aborted" },
        { RunState.Cancelled, "cancelled" },
        { PhaseState.Pending, "pending" },
        { PhaseState.Running, "running" },
        { PhaseState.AwaitingApproval, "awaitingApproval" },
        { PhaseState.Completed, "completed" },
        { PhaseState.Failed, "failed" },
        { PhaseState.Cancelled, "cancelled" },
        { AttemptOutcome.Succeeded, "succeeded" },
        { AttemptOutcome.InvalidArtifact, "invalid_artifact" },
        { AttemptOutcome.ExecutorError, "executor_error" },
        { AttemptOutcome.Timeout, "timeout" },
        { AttemptOutcome.Cancelled, "cancelled" },
        { AttemptOutcome.ChildFailed, "child_failed" },
        { FailureKind.InvalidArtifact, "invalid_artifact" },
        { FailureKind.ExecutorError, "executor_error" },
        { FailureKind.Timeout, "timeout" },
        { FailureKind.ChildFailed, "child_failed" },
        { StudyState.Running, "running" },
        { StudyState.Completed, "completed" },
        { StudyState.Failed, "failed" },
        { StudyState.Cancelled, "cancelled" },
        { StudyState.BudgetExhausted, "budget_exhausted" },
        { ApprovalAction.Approve, "approve" },
        { ApprovalAction.Reject, "reject" },
        { ApprovalAction.Abort, "abort" },
        { ApprovalAction.Expire, "expire" },
    };

    [Theory]
    [MemberData(nameof(WireStrings))]
    public void Enum_values_are_written_as_their_wire_strings(Enum value, string wire)
    {
        JsonSerializer.Serialize(value, value.GetType(), s_web).ShouldBe($"\"{wire}\"");
    }

    [Theory]
    [MemberData(nameof(WireStrings))]
    public void Enum_wire_strings_are_read_back_as_their_values(Enum value, string wire)
    {
        JsonSerializer.Deserialize($"\"{wire}\"", value.GetType(), s_web).ShouldBe(value);
    }

    [Fact]
    public void Every_enum_member_has_a_wire_string_in_the_table()
    {
        var listed = WireStrings.Select(row => (Enum)row[0]).ToHashSet();
        Enum[] all =
        [
            .. Enum.GetValues<RunState>().Cast<Enum>(),
            .. Enum.GetValues<PhaseState>().Cast<Enum>(),
            .. Enum.GetValues<AttemptOutcome>().Cast<Enum>(),
            .. Enum.GetValues<FailureKind>().Cast<Enum>(),
            .. Enum.GetValues<ApprovalAction>().Cast<Enum>(),
            .. Enum.GetValues<StudyState>().Cast<Enum>(),
        ];

        all.Where(value => !listed.Contains(value)).ShouldBeEmpty();
    }

    public static TheoryData<object, string[]> MessagesAndTheirPropertyNames => new()
    {
        {
            new PhaseAttemptFailed
            {
                RunId = Guid.NewGuid(), PhaseKey = "spec", Attempt = 2, ExecutionId = Guid.NewGuid(),
                Kind = FailureKind.InvalidArtifact, Errors = ["$.title: required"], StartedAt = s_noon, EndedAt = s_noon,
            },
            ["runId", "phaseKey", "attempt", "executionId", "kind", "errors", "artifact", "usage", "startedAt", "endedAt", "workerId"]
        },
        {
            new ApprovalDecided
            {
                RequestId = Guid.NewGuid(), RunId = Guid.NewGuid(), PhaseKey = "spec", Attempt = 1, Gate = "spec-approval",
                ArtifactDigest = "sha256:ab", Action = ApprovalAction.Approve, DecidedAt = s_noon,
            },
            ["requestId", "runId", "phaseKey", "attempt", "gate", "artifactDigest", "action", "decidedBy", "comment", "decidedAt"]
        },
        {
            new ReportReady { RunId = Guid.NewGuid(), Generation = 1, ReportUrl = "/api/runs/x/report", ManifestDigest = "sha256:cd" },
            ["runId", "generation", "reportUrl", "manifestDigest"]
        },
    };

    [Theory]
    [MemberData(nameof(MessagesAndTheirPropertyNames))]
    public void Property_names_are_written_in_camelCase(object message, string[] names)
    {
        var json = JsonSerializer.SerializeToNode(message, message.GetType(), s_web)!.AsObject();

        json.Select(property => property.Key).ShouldBe(names);
    }

    [Fact]
    public void Enum_properties_of_a_message_are_written_as_wire_strings()
    {
        var finished = new RunFinished
        {
            RunId = Guid.NewGuid(),
            Generation = 1,
            State = RunState.Failed,
            Error = new RunError { Code = ErrorCodes.ArtifactInvalidAfterRepair, Message = "still invalid", PhaseKey = "spec" },
            Template = new TemplateRef { Name = "spec-review", Version = 1, Hash = "sha256:ef" },
            InputBundleHash = "sha256:01",
            Phases =
            [
                new PhaseSummary
                {
                    Key = "spec",
                    State = PhaseState.Failed,
                    SchemaDigest = "sha256:02",
                    Attempts =
                    [
                        new AttemptSummary
                        {
                            Attempt = 1, ExecutionId = Guid.NewGuid(), Outcome = AttemptOutcome.InvalidArtifact,
                            ErrorKind = FailureKind.InvalidArtifact, StartedAt = s_noon, EndedAt = s_noon,
                        },
                    ],
                },
            ],
            EndedAt = s_noon,
        };

        var json = JsonSerializer.SerializeToNode(finished, s_web)!;

        json["state"]!.GetValue<string>().ShouldBe("failed");
        json["error"]!["code"]!.GetValue<string>().ShouldBe("artifact_invalid_after_repair");
        json["phases"]![0]!["state"]!.GetValue<string>().ShouldBe("failed");
        json["phases"]![0]!["attempts"]![0]!["outcome"]!.GetValue<string>().ShouldBe("invalid_artifact");
        json["phases"]![0]!["attempts"]![0]!["errorKind"]!.GetValue<string>().ShouldBe("invalid_artifact");
    }

    [Fact]
    public void StartRun_round_trips()
    {
        var sent = new StartRun
        {
            RunId = Guid.NewGuid(),
            Template = "spec-review@1",
            Inputs = new JsonObject { ["feature"] = "dark mode" },
            Model = new JsonObject { ["name"] = "mock", ["temperature"] = 0.2 },
            Options = new RunOptions
            {
                Force = true,
                MaxDepth = 2,
                Budget = new Budget { MaxCostUsd = 5.0m, MaxTokens = 200_000 },
                TimeoutSeconds = 3600,
                Labels = new Dictionary<string, string> { ["team"] = "docs" },
            },
            ParentRunId = Guid.NewGuid(),
            RequestedBy = "alice",
        };

        var received = JsonSerializer.Deserialize<StartRun>(JsonSerializer.Serialize(sent, s_web), s_web)!;

        received.RunId.ShouldBe(sent.RunId);
        received.Template.ShouldBe("spec-review@1");
        JsonNode.DeepEquals(received.Inputs, sent.Inputs).ShouldBeTrue();
        JsonNode.DeepEquals(received.Model, sent.Model).ShouldBeTrue();
        received.Options.Labels.ShouldBe(sent.Options.Labels);
        (received.Options with { Labels = sent.Options.Labels }).ShouldBe(sent.Options);
        received.ParentRunId.ShouldBe(sent.ParentRunId);
        received.RequestedBy.ShouldBe("alice");
    }

    [Fact]
    public void RunOptions_defaults_are_no_force_depth_three_and_no_labels()
    {
        var json = JsonSerializer.SerializeToNode(new RunOptions(), s_web)!;

        json["force"]!.GetValue<bool>().ShouldBeFalse();
        json["maxDepth"]!.GetValue<int>().ShouldBe(3);
        json["labels"]!.AsObject().Count.ShouldBe(0);
    }

    [Fact]
    public void A_StartRun_with_only_its_required_fields_gets_the_defaults()
    {
        var runId = Guid.NewGuid();

        var received = JsonSerializer.Deserialize<StartRun>($$"""{"runId":"{{runId}}","template":"spec-review@1"}""", s_web)!;

        received.RunId.ShouldBe(runId);
        received.Inputs.Count.ShouldBe(0);
        received.Model.Count.ShouldBe(0);
        received.Options.Force.ShouldBeFalse();
        received.Options.MaxDepth.ShouldBe(3);
        received.Options.Budget.ShouldBeNull();
        received.Options.TimeoutSeconds.ShouldBeNull();
        received.Options.Labels.ShouldBeEmpty();
        received.ParentRunId.ShouldBeNull();
        received.RequestedBy.ShouldBeNull();
    }

    [Theory]
    [InlineData("""{"template":"spec-review@1"}""")]
    [InlineData("""{"runId":"7d3b0f5e-2f42-4c61-9a53-0c1f0e6b1a11"}""")]
    public void A_StartRun_without_a_required_field_is_refused(string body)
    {
        Should.Throw<JsonException>(() => JsonSerializer.Deserialize<StartRun>(body, s_web));
    }

    public static TheoryData<Type> Messages =>
    [
        typeof(StartRun), typeof(CancelRun), typeof(RetryRun), typeof(ExecutePhase), typeof(CancelPhase),
        typeof(PhaseSucceeded), typeof(PhaseAttemptFailed), typeof(PhaseTimedOut), typeof(ApprovalRequested),
        typeof(ApprovalDecided), typeof(RunFinished), typeof(ReportReady), typeof(StartStudy), typeof(CancelStudy),
        typeof(StudyFinished), typeof(DescribeTemplate), typeof(TemplateDescription),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_urns_are_the_public_bus_names(Type message)
    {
        MessageUrn.ForTypeString(message).ShouldBe($"urn:message:RunMesh.Contracts:{message.Name}");
    }
}
