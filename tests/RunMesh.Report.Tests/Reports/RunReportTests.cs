using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Report.Reports;

namespace RunMesh.Report.Tests.Reports;

public sealed class RunReportTests
{
    [Theory]
    [InlineData(RunState.Completed, "completed")]
    [InlineData(RunState.Failed, "failed")]
    [InlineData(RunState.Aborted, "aborted")]
    [InlineData(RunState.Cancelled, "cancelled")]
    public void Markdown_starts_with_the_run_and_its_state(RunState state, string wire)
    {
        var finished = Sample.Finished() with { State = state };

        var report = RunReport.From(finished, RunManifest.From(finished));

        report.Markdown.Split('\n')[0].ShouldBe($"# Run {Sample.RunId}: {wire}");
        report.Json["state"]!.GetValue<string>().ShouldBe(wire);
    }

    [Fact]
    public void Report_carries_the_manifest_and_its_digest()
    {
        var finished = Sample.Finished();
        var manifest = RunManifest.From(finished);

        var report = RunReport.From(finished, manifest);

        report.Json["manifestDigest"]!.GetValue<string>().ShouldBe(manifest.Digest);
        report.Markdown.ShouldContain(manifest.Digest);
        report.Json["summary"]!["phases"]!.AsArray().Select(p => p!["attempts"]!.GetValue<int>()).ShouldBe([1, 2]);
    }

    [Fact]
    public void Phase_table_shows_durations_attempts_and_artifact_digests()
    {
        var finished = Sample.Finished();

        var markdown = RunReport.From(finished, RunManifest.From(finished)).Markdown;

        markdown.ShouldContain($"| review | completed | 2 | 140 ms | `{finished.Phases[1].ArtifactDigest}` |");
        markdown.ShouldContain("| review | 1 | invalid_artifact | 60 ms | 10/20 | 0.00005 |");
        markdown.ShouldContain("30 input tokens, 60 output tokens, 0.00015 USD.");
    }

    [Fact]
    public void Error_text_cannot_break_the_markdown_structure()
    {
        var finished = Sample.Finished() with
        {
            State = RunState.Failed,
            Error = new RunError { Code = ErrorCodes.ExecutorError, Message = "bad | table\n# injected heading `code`", PhaseKey = "review" },
        };

        var markdown = RunReport.From(finished, RunManifest.From(finished)).Markdown;

        markdown.ShouldNotContain("\n# injected");
        markdown.ShouldContain("bad \\| table # injected heading 'code'");
    }

    [Fact]
    public void The_report_lists_every_approval_decision_in_json_and_markdown()
    {
        var finished = Sample.Finished();

        var report = RunReport.From(finished, RunManifest.From(finished));

        var approval = report.Json["summary"]!["approvals"]!.AsArray().ShouldHaveSingleItem()!;
        approval["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        approval["gate"]!.GetValue<string>().ShouldBe("spec-approval");
        approval["action"]!.GetValue<string>().ShouldBe("approve");
        approval["decidedBy"]!.GetValue<string>().ShouldBe("alice");
        approval["decidedAt"]!.GetValue<string>().ShouldBe("2026-11-23T06:00:00.1800000Z");
        approval["comment"]!.GetValue<string>().ShouldBe("Looks right.");
        report.Markdown.ShouldContain("## Approvals");
        report.Markdown.ShouldContain("| spec | spec-approval | 1 | approve | alice | 2026-11-23T06:00:00.1800000Z | Looks right. |");
    }

    [Fact]
    public void A_report_without_decisions_has_no_approvals_section()
    {
        var finished = Sample.Finished();
        finished = finished with { Phases = [.. finished.Phases.Select(p => p with { Approvals = [] })] };

        var report = RunReport.From(finished, RunManifest.From(finished));

        report.Json["summary"]!["approvals"]!.AsArray().ShouldBeEmpty();
        report.Markdown.ShouldNotContain("## Approvals");
    }

    [Fact]
    public void The_last_events_keep_their_payloads()
    {
        var finished = Sample.Finished();

        var report = RunReport.From(finished, RunManifest.From(finished));

        var events = report.Json["lastEvents"]!.AsArray();
        events.Select(e => e!["seq"]!.GetValue<long>()).ShouldBe([9L, 10L]);
        JsonNode.DeepEquals(events[0]!["payload"], finished.LastEvents[0].Payload).ShouldBeTrue(events[0]!.ToJsonString());
        events[0]!["payload"]!["usage"]!["costUsd"]!.ToJsonString().ShouldBe("0.00005");
        events[1]!["payload"]!["generation"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public void An_approval_comment_cannot_break_the_markdown_table()
    {
        var finished = Sample.Finished();
        var comment = Sample.SpecApproval with { Comment = "ok | fine\n## injected" };
        finished = finished with { Phases = [finished.Phases[0] with { Approvals = [comment] }, .. finished.Phases.Skip(1)] };

        var markdown = RunReport.From(finished, RunManifest.From(finished)).Markdown;

        markdown.ShouldNotContain("\n## injected");
        markdown.ShouldContain("ok \\| fine ## injected");
    }
}
