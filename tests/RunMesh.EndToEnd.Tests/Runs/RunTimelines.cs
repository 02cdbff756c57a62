using System.Text.Json.Nodes;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>What the start and end times of runs (as <c>GET /api/runs</c> lists them) show.</summary>
public static class RunTimelines
{
    /// <summary>The most runs that were running at one time.</summary>
    public static int MostAtOnce(IEnumerable<JsonObject> runs)
    {
        var edges = runs.SelectMany(r => new[]
        {
            (At: r["startedAt"]!.GetValue<DateTimeOffset>(), Delta: 1),
            (At: r["endedAt"]!.GetValue<DateTimeOffset>(), Delta: -1),
        }).OrderBy(e => e.At).ThenBy(e => e.Delta); // an end before a start at the same instant
        var (now, most) = (0, 0);
        foreach (var edge in edges)
        {
            now += edge.Delta;
            most = Math.Max(most, now);
        }

        return most;
    }
}
