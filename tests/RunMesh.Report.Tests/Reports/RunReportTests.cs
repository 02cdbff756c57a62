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
}
