using RunMesh.Report.Reports;

namespace RunMesh.Report.Tests.Reports;

public sealed class ChildRunEdgesTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

    private static ChildReportRow Row(Guid runId, int generation, string state, int secondsAfter) =>
        new(runId, generation, state, "child", 1, $"sha256:{generation}", s_at.AddSeconds(secondsAfter));

    [Fact]
    public void Each_child_appears_once_with_its_latest_generation()
    {
        var child = Guid.NewGuid();

        var edges = ChildRunEdges.From([Row(child, 1, "failed", 1), Row(child, 3, "completed", 9), Row(child, 2, "failed", 5)]);

        var edge = edges.ShouldHaveSingleItem();
        edge.RunId.ShouldBe(child);
        edge.Generation.ShouldBe(3);
        edge.State.ShouldBe("completed");
        edge.Template.ShouldBe("child@1");
        edge.ManifestDigest.ShouldBe("sha256:3");
        edge.ReportUrl.ShouldBe($"/api/runs/{child}/report");
    }

    [Fact]
    public void Children_are_ordered_by_when_they_ended_whatever_order_they_were_stored_in()
    {
        var early = Guid.NewGuid();
        var late = Guid.NewGuid();

        var edges = ChildRunEdges.From([Row(late, 1, "completed", 30), Row(early, 1, "completed", 10)]);

        edges.Select(e => e.RunId).ShouldBe([early, late]);
    }

    [Fact]
    public void No_rows_no_children()
    {
        ChildRunEdges.From([]).ShouldBeEmpty();
    }
}
