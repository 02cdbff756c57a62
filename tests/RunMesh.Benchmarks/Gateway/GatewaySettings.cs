namespace RunMesh.Benchmarks.Gateway;

/// <summary>The flags of <c>gateway</c>.</summary>
internal sealed record GatewaySettings(int Concurrency, int Seconds, int WarmupSeconds, int PrimeSeconds, int Rounds, string Target, string? Out)
{
    public static GatewaySettings From(BenchmarkArguments arguments)
    {
        arguments.RejectUnknown("concurrency", "seconds", "warmup-seconds", "prime-seconds", "rounds", "target", "out");
        return new GatewaySettings(
            arguments.Integer("concurrency", 16),
            arguments.Integer("seconds", 10),
            arguments.Integer("warmup-seconds", 3, min: 0),
            arguments.Integer("prime-seconds", 20, min: 0),
            arguments.Integer("rounds", 3),
            arguments.Words("target", ["templates"], ["templates", "run"]).Single(),
            arguments.Text("out"));
    }
}
