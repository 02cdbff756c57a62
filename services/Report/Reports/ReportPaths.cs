namespace RunMesh.Report.Reports;

/// <summary>The gateway-relative paths of a run's report, Markdown report and manifest.</summary>
public static class ReportPaths
{
    /// <summary><c>/api/runs/{runId}/report</c>: the JSON report of the latest generation (the URL sent in <c>ReportReady</c>).</summary>
    public static string Report(Guid runId) => $"/api/runs/{runId}/report";

    /// <summary><c>/api/runs/{runId}/report.md</c>.</summary>
    public static string Markdown(Guid runId) => $"/api/runs/{runId}/report.md";

    /// <summary><c>/api/runs/{runId}/manifest</c>.</summary>
    public static string Manifest(Guid runId) => $"/api/runs/{runId}/manifest";
}
