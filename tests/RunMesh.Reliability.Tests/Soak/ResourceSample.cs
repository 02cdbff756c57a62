using System.Globalization;

namespace RunMesh.Reliability.Tests.Soak;

/// <summary>One sample of the soak: each service's resident memory and the inbox/outbox rows of each database.</summary>
public sealed record ResourceSample(TimeSpan At, IReadOnlyDictionary<string, long> RssKib, IReadOnlyDictionary<string, long> MessagingRows)
{
    /// <summary>Resident set size (VmRSS, KiB) of process <paramref name="pid"/>, or 0 when it is gone.</summary>
    public static long RssOf(int? pid)
    {
        if (pid is null)
        {
            return 0;
        }

        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"t+{At.TotalSeconds:0}s rss MiB [{string.Join(", ", RssKib.Select(kv => $"{kv.Key} {kv.Value / 1024}"))}] rows [{string.Join(", ", MessagingRows.Select(kv => $"{kv.Key} {kv.Value}"))}]");
}
