namespace RunMesh.EndToEnd.Tests.Reports;

/// <summary>
/// The report service is SIGKILLed while runs finish and started again: the <c>RunFinished</c> messages wait in its
/// durable queue (or are redelivered when the kill interrupted them), and every run still gets exactly one report.
/// </summary>
[Collection(ReportsMesh.Name)]
public sealed class ReportServiceRestartTests(ReportsFixture fixture)
{
    [Fact]
    public async Task Killing_the_report_service_while_runs_finish_still_gives_every_run_exactly_one_report()
    {
        var report = fixture.Mesh.Service("report");
        var early = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            early.Add(await fixture.StartAsync(ReportsFixture.Quick));
        }

        // Killed as soon as the first report is stored, so the others are being consumed, or still queued.
        await Eventually.UntilAsync(
            async () => (await Task.WhenAll(early.Select(fixture.ReportRowsAsync))).Any(rows => rows.Count > 0),
            TimeSpan.FromSeconds(60), "a first report", () => fixture.Mesh.LogTails(20));
        await report.KillAsync();

        var late = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            late.Add(await fixture.StartAsync(ReportsFixture.Paced));
        }

        var all = early.Concat(late).ToList();
        foreach (var runId in all)
        {
            await fixture.WaitForStateAsync(runId, "completed");
        }

        report.IsRunning.ShouldBeFalse("the runs finished while the report service was down");
        await report.RestartAsync();

        foreach (var runId in all)
        {
            var run = await fixture.WaitForReportUrlAsync(runId);
            run["reportUrl"]!.GetValue<string>().ShouldBe($"/api/runs/{runId}/report");
        }

        foreach (var runId in all)
        {
            var rows = await fixture.ReportRowsAsync(runId);
            rows.ShouldHaveSingleItem($"run {runId}").Generation.ShouldBe(1);
        }
    }
}
