using System.Globalization;
using System.Net;
using System.Text;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// The chart of a <c>runs</c> benchmark as a self-contained SVG (no chart library): four panels of horizontal bars —
/// throughput and p50 latency per system, then throughput and p50 per phase worker count.
/// </summary>
internal static class RunsChart
{
    private const int PanelWidth = 470;
    private const int LabelWidth = 150;
    private const int BarMaxWidth = 230;
    private const int RowHeight = 24;
    private const int TitleHeight = 30;
    private const int Gap = 20;

    private static readonly Dictionary<string, string> s_colors = new(StringComparer.Ordinal)
    {
        ["RunMesh"] = "#2b6cb0",
        ["raw bus chain"] = "#718096",
        ["Hangfire"] = "#dd6b20",
        ["Rebus"] = "#38a169",
    };

    public static string Render(IReadOnlyList<SystemResult> comparison, IReadOnlyList<SystemResult> scaling, string subtitle)
    {
        var panels = new List<(string Title, List<(string Label, double Value, string Color)> Bars, string Unit)>
        {
            ("Throughput, runs/s (higher is better)", comparison.Select(r => (r.System, r.RunsPerSecond, ColorOf(r.System))).ToList(), ""),
            ("p50 submit → completed, ms (lower is better)", comparison.Select(r => (r.System, r.P50Ms, ColorOf(r.System))).ToList(), " ms"),
        };
        if (scaling.Count > 0)
        {
            var executorMs = scaling[0].ExecutorMs;
            var inFlight = scaling[0].InFlight;
            panels.Add(($"Worker scaling: runs/s ({executorMs} ms executor, {inFlight} in flight)",
                scaling.Select(r => (r.Detail, r.RunsPerSecond, "#2b6cb0")).ToList(), ""));
            panels.Add(("Worker scaling: p50 ms",
                scaling.Select(r => (r.Detail, r.P50Ms, "#2b6cb0")).ToList(), " ms"));
        }

        var rows = panels.Max(p => p.Bars.Count);
        var panelHeight = TitleHeight + (rows * RowHeight) + Gap;
        var width = (2 * PanelWidth) + Gap;
        var height = 50 + (((panels.Count + 1) / 2) * panelHeight);

        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture,
            $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect width="{width}" height="{height}" fill="#ffffff"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="10" y="20" font-size="15" font-weight="bold">RunMesh runs benchmark</text>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="10" y="38" fill="#4a5568">{Escape(subtitle)}</text>""");
        for (var i = 0; i < panels.Count; i++)
        {
            var (title, bars, unit) = panels[i];
            var x = (i % 2) * (PanelWidth + Gap);
            var y = 50 + ((i / 2) * panelHeight);
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{x + 10}" y="{y + 18}" font-weight="bold">{Escape(title)}</text>""");
            var max = bars.Select(b => double.IsFinite(b.Value) ? b.Value : 0).DefaultIfEmpty(0).Max();
            for (var row = 0; row < bars.Count; row++)
            {
                var (label, value, color) = bars[row];
                var top = y + TitleHeight + (row * RowHeight);
                var length = max > 0 && double.IsFinite(value) ? Math.Max(1, value / max * BarMaxWidth) : 0;
                svg.AppendLine(CultureInfo.InvariantCulture,
                    $"""<text x="{x + LabelWidth}" y="{top + 15}" text-anchor="end">{Escape(label)}</text>""");
                svg.AppendLine(CultureInfo.InvariantCulture,
                    $"""<rect x="{x + LabelWidth + 8}" y="{top + 3}" width="{length:F1}" height="{RowHeight - 8}" fill="{color}"/>""");
                var text = double.IsFinite(value) ? value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) + unit : "n/a";
                svg.AppendLine(CultureInfo.InvariantCulture,
                    $"""<text x="{x + LabelWidth + 14 + length:F1}" y="{top + 15}">{Escape(text)}</text>""");
            }
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string ColorOf(string system) => s_colors.GetValueOrDefault(system, "#a0aec0");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
