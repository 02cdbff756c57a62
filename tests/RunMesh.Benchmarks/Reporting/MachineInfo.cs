using System.Runtime.InteropServices;

namespace RunMesh.Benchmarks.Reporting;

/// <summary>What the figures were measured on, including how busy the machine was (other builds share it).</summary>
internal sealed record MachineInfo(int Cores, string Os, string Runtime, string? LoadAverage)
{
    public static MachineInfo Now() => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        LoadAverageNow());

    public static string? LoadAverageNow() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    public override string ToString() => $"{Cores} cores, {Os}, {Runtime}, load average {LoadAverage ?? "n/a"}";
}
