using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Report.Reports;

namespace RunMesh.Report.Tests.Reports;

public sealed class RunManifestTests
{
    [Fact]
    public void Manifest_digest_is_the_sha256_of_its_canonical_json()
    {
        var manifest = RunManifest.From(Sample.Finished());

        manifest.Digest.ShouldBe(Digest.OfJson(manifest.Document.ToJsonString()));
        Digest.IsValid(manifest.Digest).ShouldBeTrue();
    }

    [Fact]
    public void The_same_message_always_gives_the_same_manifest_bytes()
    {
        var first = RunManifest.From(Sample.Finished());
        var second = RunManifest.From(Sample.Finished());

        CanonicalJson.SerializeToString(second.Document).ShouldBe(CanonicalJson.SerializeToString(first.Document));
        second.Digest.ShouldBe(first.Digest);
    }

    public static TheoryData<string, Func<RunFinished, RunFinished>> Changes => new()
    {
        { "generation", f => f with { Generation = 2 } },
        { "state", f => f with { State = RunState.Failed, Error = new RunError { Code = ErrorCodes.ExecutorError, Message = "boom" } } },
        { "an input", f => f with { Inputs = new JsonObject { ["feature"] = "something else" } } },
        { "the model", f => f with { Model = new JsonObject { ["name"] = "mock", ["temperature"] = 0.5 } } },
        { "a label", f => f with { Labels = new Dictionary<string, string> { ["team"] = "other" } } },
        { "an attempt outcome", f => f with { Phases = [f.Phases[0] with { Attempts = [f.Phases[0].Attempts[0] with { Outcome = AttemptOutcome.Timeout }] }, .. f.Phases.Skip(1)] } },
        { "an artifact digest", f => f with { Phases = [f.Phases[0] with { ArtifactDigest = Digest.OfJson("{}") }, .. f.Phases.Skip(1)] } },
        { "the usage", f => f with { TotalUsage = f.TotalUsage with { CostUsd = 0.5m } } },
        { "the end", f => f with { EndedAt = f.EndedAt.AddMilliseconds(1) } },
        { "the parent", f => f with { ParentRunId = Guid.NewGuid(), Depth = 1 } },
        { "who approved", f => f with { Phases = [f.Phases[0] with { Approvals = [Sample.SpecApproval with { DecidedBy = "mallory" }] }, .. f.Phases.Skip(1)] } },
        { "an approval comment", f => f with { Phases = [f.Phases[0] with { Approvals = [Sample.SpecApproval with { Comment = null }] }, .. f.Phases.Skip(1)] } },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Any_change_to_the_run_changes_the_digest(string what, Func<RunFinished, RunFinished> change)
    {
        var original = RunManifest.From(Sample.Finished());

        var changed = RunManifest.From(change(Sample.Finished()));

        changed.Digest.ShouldNotBe(original.Digest, $"changing {what} kept the digest");
    }

    [Fact]
    public void Force_is_not_part_of_the_manifest()
    {
        var withoutForce = RunManifest.From(Sample.Finished());
        var finished = Sample.Finished();

        var withForce = RunManifest.From(finished with { Options = finished.Options with { Force = true } });

        withForce.Digest.ShouldBe(withoutForce.Digest);
        withForce.Document["inputBundle"]!["options"]!.AsObject().ContainsKey("force").ShouldBeFalse();
    }

    [Fact]
    public void Timestamps_are_written_in_utc_whatever_the_offset()
    {
        var finished = Sample.Finished();
        var shifted = finished with { EndedAt = finished.EndedAt.ToOffset(TimeSpan.FromHours(5)) };

        RunManifest.From(shifted).Digest.ShouldBe(RunManifest.From(finished).Digest);
        RunManifest.From(finished).Document["endedAt"]!.GetValue<string>().ShouldEndWith("Z");
    }

    [Fact]
    public void An_alias_message_describes_the_run_that_executed()
    {
        var finished = Sample.Finished();
        var alias = finished with { RunId = Guid.NewGuid(), AliasOf = finished.RunId };

        var manifest = RunManifest.From(alias);

        manifest.Document["runId"]!.GetValue<string>().ShouldBe(finished.RunId.ToString());
        manifest.Digest.ShouldBe(RunManifest.From(finished).Digest);
    }

    [Fact]
    public void Every_attempt_and_the_provenance_digests_are_listed()
    {
        var manifest = RunManifest.From(Sample.Finished());

        var phases = manifest.Document["phases"]!.AsArray();
        phases.Count.ShouldBe(2);
        var review = phases[1]!;
        review["schemaDigest"]!.GetValue<string>().ShouldStartWith("sha256:");
        review["instructionsDigest"]!.GetValue<string>().ShouldStartWith("sha256:");
        review["attempts"]!.AsArray().Select(a => a!["outcome"]!.GetValue<string>()).ShouldBe(["invalid_artifact", "succeeded"]);
        manifest.Document["template"]!["hash"]!.GetValue<string>().ShouldBe(Sample.TemplateHash);
        manifest.Document["inputBundle"]!["hash"]!.GetValue<string>().ShouldBe(Sample.BundleHash);
    }

    [Fact]
    public void Each_decision_at_a_gate_is_recorded_with_who_decided_what_when_and_why()
    {
        var finished = Sample.Finished();
        var rejected = Sample.SpecApproval with
        {
            RequestId = Guid.NewGuid(),
            Action = ApprovalAction.Reject,
            DecidedBy = "bob",
            Comment = "Missing steps.",
            DecidedAt = Sample.SpecApproval.DecidedAt.AddMinutes(-5),
        };
        finished = finished with { Phases = [finished.Phases[0] with { Approvals = [rejected, Sample.SpecApproval] }, .. finished.Phases.Skip(1)] };

        var manifest = RunManifest.From(finished);

        manifest.Document["manifestVersion"]!.GetValue<int>().ShouldBe(2);
        var approvals = manifest.Document["phases"]![0]!["approvals"]!.AsArray();
        approvals.Select(a => a!["action"]!.GetValue<string>()).ShouldBe(["reject", "approve"]);
        var approved = approvals[1]!.AsObject();
        approved.Select(p => p.Key).ShouldBe(["requestId", "gate", "attempt", "artifactDigest", "action", "decidedBy", "decidedAt", "comment"]);
        approved["requestId"]!.GetValue<string>().ShouldBe(Sample.SpecApproval.RequestId.ToString());
        approved["gate"]!.GetValue<string>().ShouldBe("spec-approval");
        approved["attempt"]!.GetValue<int>().ShouldBe(1);
        approved["decidedBy"]!.GetValue<string>().ShouldBe("alice");
        approved["decidedAt"]!.GetValue<string>().ShouldBe("2026-11-23T06:00:00.1800000Z");
        approved["comment"]!.GetValue<string>().ShouldBe("Looks right.");
        manifest.Document["phases"]![1]!["approvals"]!.AsArray().ShouldBeEmpty();
    }
}
