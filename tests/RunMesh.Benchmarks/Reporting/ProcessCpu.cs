using System.Diagnostics;
using System.Globalization;

namespace RunMesh.Benchmarks.Reporting;

/// <summary>
/// CPU time a process has used so far (user + system), from <c>/proc/{pid}/stat</c> for the child processes and the
/// runtime for this one. On 2 cores the client, the gateway and the service compete for the same CPU, so the CPU
/// each spends per request says more than the rate alone.
/// </summary>
internal static class ProcessCpu
{
    private static readonly double s_ticksPerSecond = 100; // USER_HZ on Linux

    public static TimeSpan Of(int? processId) => processId is { } id && Stat(id) is { } fields ? Ticks(fields, 11, 12) : TimeSpan.Zero;

    /// <summary>
    /// A server and everything it forked: its own CPU, its children's that it has reaped (<c>cutime</c>,
    /// <c>cstime</c>: PostgreSQL backends that ended) and its live children's (backends still connected).
    /// </summary>
    public static TimeSpan OfTree(int processId)
    {
        if (Stat(processId) is not { } fields)
        {
            return TimeSpan.Zero;
        }

        var total = Ticks(fields, 11, 12) + Ticks(fields, 13, 14);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var child) && Stat(child) is { } childFields
                && childFields[1] == processId.ToString(CultureInfo.InvariantCulture))
            {
                total += Ticks(childFields, 11, 12);
            }
        }

        return total;
    }

    /// <summary>The fields after the parenthesized command name (state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14]).</summary>
    private static string[]? Stat(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // Gone (or never there).
        }
    }

    private static TimeSpan Ticks(string[] fields, int first, int second) =>
        TimeSpan.FromSeconds((long.Parse(fields[first], CultureInfo.InvariantCulture) + long.Parse(fields[second], CultureInfo.InvariantCulture)) / s_ticksPerSecond);

    public static TimeSpan OfThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
