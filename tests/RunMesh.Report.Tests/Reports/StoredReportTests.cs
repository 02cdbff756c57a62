using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Report.Reports;

namespace RunMesh.Report.Tests.Reports;

public sealed class StoredReportTests
{
    private static readonly DateTimeOffset s_storedAt = new(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Stored_manifest_bytes_hash_to_the_manifest_digest()
    {
        var record = StoredReport.From(Sample.Finished(), s_storedAt);

        var sha = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(record.Manifest)));
        sha.ShouldBe(record.ManifestDigest);
        Digest.OfJson(record.Manifest).ShouldBe(record.ManifestDigest);
        record.ManifestDigest.ShouldBe(RunManifest.From(Sample.Finished()).Digest);
    }

    [Fact]
    public void The_same_message_gives_the_same_row_whenever_it_is_stored()
    {
        var first = StoredReport.From(Sample.Finished(), s_storedAt);
        var second = StoredReport.From(Sample.Finished(), s_storedAt.AddHours(5));

        second.Manifest.ShouldBe(first.Manifest);
        second.ReportJson.ShouldBe(first.ReportJson);
        second.ReportMarkdown.ShouldBe(first.ReportMarkdown);
    }

    [Fact]
    public void A_message_published_under_an_alias_reports_on_the_run_that_executed()
    {
        var alias = Guid.NewGuid();
        var own = StoredReport.From(Sample.Finished(), s_storedAt);

        var viaAlias = StoredReport.From(Sample.Finished() with { RunId = alias, AliasOf = Sample.RunId }, s_storedAt);

        viaAlias.RunId.ShouldBe(Sample.RunId);
        viaAlias.Generation.ShouldBe(own.Generation);
        viaAlias.ManifestDigest.ShouldBe(own.ManifestDigest);
        StoredReport.ReadyMessage(viaAlias).RunId.ShouldBe(Sample.RunId);
    }

    [Fact]
    public void The_row_carries_what_the_api_looks_up_and_the_report_what_people_read()
    {
        var parent = Guid.NewGuid();
        var finished = Sample.Finished() with
        {
            Generation = 2,
            State = RunState.Failed,
            Error = new RunError { Code = ErrorCodes.ExecutorError, Message = "boom", PhaseKey = "review" },
            ParentRunId = parent,
            Depth = 1,
            EndedAt = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.FromHours(2)),
        };

        var record = StoredReport.From(finished, s_storedAt);

        record.Generation.ShouldBe(2);
        record.State.ShouldBe("failed");
        record.ParentRunId.ShouldBe(parent);
        record.TemplateName.ShouldBe("spec-review");
        record.TemplateVersion.ShouldBe(1);
        record.EndedAt.Offset.ShouldBe(TimeSpan.Zero);
        record.EndedAt.ShouldBe(finished.EndedAt);
        var report = JsonNode.Parse(record.ReportJson)!;
        report["state"]!.GetValue<string>().ShouldBe("failed");
        report["error"]!["code"]!.GetValue<string>().ShouldBe("executor_error");
        report["manifestDigest"]!.GetValue<string>().ShouldBe(record.ManifestDigest);
        record.ReportMarkdown.ShouldStartWith($"# Run {Sample.RunId}: failed\n");
    }

    [Fact]
    public void Non_ascii_text_stays_readable_in_the_stored_report()
    {
        var finished = Sample.Finished() with { Inputs = new JsonObject { ["feature"] = "Dunkelmodus für <Benutzer>" } };

        var record = StoredReport.From(finished, s_storedAt);

        record.ReportJson.ShouldContain("Dunkelmodus für <Benutzer>");
    }

    [Fact]
    public void Report_ready_points_at_the_gateway_relative_report()
    {
        var record = StoredReport.From(Sample.Finished(), s_storedAt);

        var ready = StoredReport.ReadyMessage(record);

        ready.RunId.ShouldBe(Sample.RunId);
        ready.Generation.ShouldBe(1);
        ready.ReportUrl.ShouldBe($"/api/runs/{Sample.RunId}/report");
        ready.ManifestDigest.ShouldBe(record.ManifestDigest);
    }
}
