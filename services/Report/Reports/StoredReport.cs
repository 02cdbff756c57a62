using System.Text.Encodings.Web;
using System.Text.Json;
using RunMesh.Contracts;
using RunMesh.Hashing;

namespace RunMesh.Report.Reports;

/// <summary>
/// Turns a <see cref="RunFinished"/> into the row the report service stores for it: the manifest as canonical JSON (so
/// its digest is the sha256 of exactly the stored bytes), the report as JSON and Markdown, and the columns the API
/// looks rows up by. Pure: the same message always gives the same row, apart from <see cref="ReportRecord.StoredAt"/>.
/// </summary>
public static class StoredReport
{
    // The report is served as application/json, never embedded in HTML, so non-ASCII text can stay readable.
    private static readonly JsonSerializerOptions s_reportJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The run a message reports on: the run that executed, also when the message was published under an alias.</summary>
    public static Guid RunIdOf(RunFinished finished)
    {
        ArgumentNullException.ThrowIfNull(finished);
        return finished.AliasOf ?? finished.RunId;
    }

    /// <summary>The row for <paramref name="finished"/>, stored at <paramref name="storedAt"/>.</summary>
    public static ReportRecord From(RunFinished finished, DateTimeOffset storedAt)
    {
        ArgumentNullException.ThrowIfNull(finished);
        var manifest = RunManifest.From(finished);
        var report = RunReport.From(finished, manifest);
        return new ReportRecord
        {
            RunId = RunIdOf(finished),
            Generation = finished.Generation,
            State = RunManifest.WireName(finished.State),
            ParentRunId = finished.ParentRunId,
            TemplateName = finished.Template.Name,
            TemplateVersion = finished.Template.Version,
            ManifestDigest = manifest.Digest,
            Manifest = CanonicalJson.SerializeToString(manifest.Document),
            ReportJson = report.Json.ToJsonString(s_reportJson),
            ReportMarkdown = report.Markdown,
            EndedAt = finished.EndedAt.ToUniversalTime(),
            StoredAt = storedAt.ToUniversalTime(),
        };
    }

    /// <summary>The <see cref="ReportReady"/> that announces <paramref name="record"/>.</summary>
    public static ReportReady ReadyMessage(ReportRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new ReportReady
        {
            RunId = record.RunId,
            Generation = record.Generation,
            ReportUrl = ReportPaths.Report(record.RunId),
            ManifestDigest = record.ManifestDigest,
        };
    }
}
