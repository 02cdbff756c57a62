namespace RunMesh.Report.Reports;

/// <summary>What the report service knows of a finished child run: one stored report row of it.</summary>
/// <param name="RunId">The child run.</param>
/// <param name="Generation">The generation that row reports on.</param>
/// <param name="State">Its terminal state (wire name).</param>
/// <param name="TemplateName">Its template's name.</param>
/// <param name="TemplateVersion">Its template's version.</param>
/// <param name="ManifestDigest">The digest of that generation's manifest.</param>
/// <param name="EndedAt">When that generation ended.</param>
public sealed record ChildReportRow(Guid RunId, int Generation, string State, string TemplateName, int TemplateVersion, string ManifestDigest, DateTimeOffset EndedAt);

/// <summary>A child-run edge as served in <c>children[]</c> beside a parent's manifest.</summary>
/// <param name="RunId">The child run.</param>
/// <param name="Generation">Its latest reported generation.</param>
/// <param name="State">Its state at that generation's end.</param>
/// <param name="Template"><c>name@version</c>.</param>
/// <param name="ManifestDigest">The digest of the child's latest manifest.</param>
/// <param name="EndedAt">When that generation ended.</param>
/// <param name="ReportUrl">The child's report.</param>
public sealed record ChildRunEdge(Guid RunId, int Generation, string State, string Template, string ManifestDigest, DateTimeOffset EndedAt, string ReportUrl);

/// <summary>
/// Child-run edges are derived when a parent's manifest is read, from the children's own report rows (each row knows
/// its parent). So an edge exists as soon as both reports do, whichever finished first, and the parent's stored
/// manifest — and the digest already sent in <c>ReportReady</c> — never changes.
/// </summary>
public static class ChildRunEdges
{
    /// <summary>One edge per child, from its latest generation; ordered by end time, then run id.</summary>
    public static IReadOnlyList<ChildRunEdge> From(IEnumerable<ChildReportRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows
            .GroupBy(r => r.RunId)
            .Select(g => g.MaxBy(r => r.Generation)!)
            .OrderBy(r => r.EndedAt)
            .ThenBy(r => r.RunId)
            .Select(r => new ChildRunEdge(
                r.RunId, r.Generation, r.State, $"{r.TemplateName}@{r.TemplateVersion}", r.ManifestDigest, r.EndedAt, ReportPaths.Report(r.RunId)))
            .ToList();
    }

    /// <summary>
    /// The "Child runs" section a parent's Markdown report ends with (empty text when it has none): one line per child
    /// with its state, template and report. Every value in it is RunMesh's own (ids, states, template names).
    /// </summary>
    public static string Markdown(IReadOnlyList<ChildRunEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        if (edges.Count == 0)
        {
            return "";
        }

        var text = new System.Text.StringBuilder().AppendLine().AppendLine("## Child runs").AppendLine()
            .AppendLine("| run | state | template | report |").AppendLine("|---|---|---|---|");
        foreach (var edge in edges)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| `{edge.RunId}` | {edge.State} | `{edge.Template}` | {edge.ReportUrl} |");
        }

        return text.ToString();
    }
}
