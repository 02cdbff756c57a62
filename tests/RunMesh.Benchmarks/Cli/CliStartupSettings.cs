namespace RunMesh.Benchmarks.Cli;

/// <summary>The flags of <c>cli</c>.</summary>
internal sealed record CliStartupSettings(int Invocations, int Warmup, int Runs, string? Runmesh, string? Url, string? Key, string? Out)
{
    public static CliStartupSettings From(BenchmarkArguments arguments)
    {
        arguments.RejectUnknown("invocations", "warmup", "runs", "runmesh", "url", "key", "out");
        var url = arguments.Text("url");
        var key = arguments.Text("key");
        return (url is null) != (key is null)
            ? throw new ArgumentException("--url and --key go together (an existing mesh and a viewer's key), or neither (a mesh of its own).")
            : new CliStartupSettings(
                arguments.Integer("invocations", 20), arguments.Integer("warmup", 3, min: 0), arguments.Integer("runs", 20, min: 0),
                arguments.Text("runmesh"), url, key, arguments.Text("out"));
    }
}
