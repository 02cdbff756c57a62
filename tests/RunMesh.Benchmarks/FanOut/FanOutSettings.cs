namespace RunMesh.Benchmarks.FanOut;

/// <summary>The flags of <c>fanout</c>.</summary>
internal sealed record FanOutSettings(int Children, int Rounds, int Warmup, string? Out)
{
    /// <summary>A run phase's <c>maxParallel</c> is at most 256: more children would no longer all be in flight at once.</summary>
    public const int MaxChildren = 256;

    public static FanOutSettings From(BenchmarkArguments arguments)
    {
        arguments.RejectUnknown("children", "rounds", "warmup", "out");
        var children = arguments.Integer("children", 100);
        return children <= MaxChildren
            ? new FanOutSettings(children, arguments.Integer("rounds", 5), arguments.Integer("warmup", 1, min: 0), arguments.Text("out"))
            : throw new ArgumentException($"--children must be at most {MaxChildren} (a run phase's maxParallel), not {children}.");
    }
}
