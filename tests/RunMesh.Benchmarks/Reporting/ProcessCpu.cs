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

    public static TimeSpan Of(int? processId)
    {
        if (processId is null)
        {
            return TimeSpan.Zero;
        }

        var path = $"/proc/{processId}/stat";
        if (!File.Exists(path))
        {
            return TimeSpan.Zero;
        }

        // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
        var stat = File.ReadAllText(path);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / s_ticksPerSecond);
    }

    public static TimeSpan OfThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
