using System.Text.Json;

namespace RunMesh.Benchmarks.Reporting;

/// <summary>Writes a run's results as indented camelCase JSON (<c>--out</c>).</summary>
internal static class ResultsFile
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task WriteAsync<T>(string? path, T results)
    {
        if (path is null)
        {
            return;
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, JsonSerializer.Serialize(results, s_options));
        Console.WriteLine($"Results written to {full}");
    }
}
