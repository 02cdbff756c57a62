using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RunMesh.Contracts;
using RunMesh.Report.Reports;
using RunMesh.Report.Reports.Api;

namespace RunMesh.Report.Tests.Reports;

/// <summary>
/// What the report endpoints serve is what their API document says: the stored report and manifest read as
/// <see cref="RunReportDocument"/> and <see cref="ManifestResponse"/> with no field unknown, none required missing, no
/// null where the document says there is none.
/// </summary>
public sealed class ReportDocumentsTests
{
    private static readonly JsonSerializerOptions s_strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static TheoryData<string, RunFinished> Runs => new()
    {
        { "completed, approved at a gate, repaired", Sample.Finished() },
        {
            "failed in its second phase",
            Sample.Finished() with
            {
                State = RunState.Failed,
                Error = new RunError { Code = ErrorCodes.ArtifactInvalidAfterRepair, Message = "still invalid", PhaseKey = "review" },
                Options = new RunOptions { Budget = new Budget { MaxCostUsd = 1.5m }, TimeoutSeconds = 60 },
            }
        },
        {
            "refused before it started",
            Sample.Finished() with { State = RunState.Failed, StartedAt = null, Phases = [], LastEvents = [], ParentRunId = Guid.NewGuid(), Depth = 1 }
        },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_report_is_a_RunReportDocument(string run, RunFinished finished)
    {
        var manifest = RunManifest.From(finished);
        var json = RunReport.From(finished, manifest).Json.DeepClone().AsObject();
        json["children"] = new JsonArray(new JsonObject
        {
            ["runId"] = Guid.NewGuid().ToString(),
            ["generation"] = 1,
            ["state"] = "completed",
            ["template"] = "write-chapter@2",
            ["manifestDigest"] = manifest.Digest,
            ["endedAt"] = finished.EndedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["reportUrl"] = ReportPaths.Report(finished.RunId),
        });

        var document = JsonSerializer.Deserialize<RunReportDocument>(json, s_strict);

        document.ShouldNotBeNull(run);
        document.State.ShouldBe(finished.State, run);
        document.Manifest.Phases.Count.ShouldBe(finished.Phases.Count, run);
        document.Summary.Usage.CostUsd.ShouldBe(finished.TotalUsage.CostUsd, run);
        document.Children.ShouldHaveSingleItem(run);
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_manifest_answer_is_a_ManifestResponse(string run, RunFinished finished)
    {
        var manifest = RunManifest.From(finished);
        var body = new JsonObject { ["manifest"] = manifest.Document.DeepClone(), ["manifestDigest"] = manifest.Digest, ["children"] = new JsonArray() };

        var document = JsonSerializer.Deserialize<ManifestResponse>(body, s_strict);

        document.ShouldNotBeNull(run);
        document.Manifest.RunId.ShouldBe(finished.RunId, run);
        document.Manifest.StartedAt.ShouldBe(finished.StartedAt, run);
        document.Manifest.Phases.SelectMany(p => p.Attempts).Select(a => a.Outcome)
            .ShouldBe(finished.Phases.SelectMany(p => p.Attempts).Select(a => a.Outcome), run);
    }
}
