using System.Globalization;

namespace RunMesh.Benchmarks.Reporting;

/// <summary>How much memory a process holds in RAM now: <c>VmRSS</c> of <c>/proc/{pid}/status</c>.</summary>
internal static class ProcessMemory
{
    /// <summary>The resident set in MiB, or null when the process is gone (or never there).</summary>
    public static double? ResidentMiB(int? processId)
    {
        if (processId is not { } id)
        {
            return null;
        }

        try
        {
            // "VmRSS:     123456 kB"
            var line = File.ReadLines($"/proc/{id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kib = line?["VmRSS:".Length..].Trim().Split(' ')[0];
            return kib is not null && long.TryParse(kib, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? Math.Round(value / 1024.0, 1)
                : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
