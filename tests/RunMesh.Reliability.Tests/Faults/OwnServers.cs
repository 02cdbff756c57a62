using System.Diagnostics;

namespace RunMesh.Reliability.Tests.Faults;

/// <summary>
/// A PostgreSQL cluster and a RabbitMQ node of the reliability suite's own, started with
/// <c>deploy/local/servers.sh</c> on other ports and another state directory than the shared test servers, so that
/// restarting them disturbs no other test. <see cref="DisposeAsync"/> stops them again (the script stops exactly the
/// processes it started, by pid).
/// </summary>
public sealed class OwnServers : IAsyncDisposable
{
    // Above Linux's ephemeral range (32768–60999): the mesh processes of the parallel tests hold hundreds of
    // ephemeral ports, and a node that must come back on the same port mid-test must not find it taken.
    private static readonly IReadOnlyDictionary<string, string> s_environment = new Dictionary<string, string>
    {
        ["RUNMESH_PG_PORT"] = "61432",
        ["RUNMESH_AMQP_PORT"] = "61672",
        ["RUNMESH_RABBITMQ_MGMT_PORT"] = "61673",
        ["RUNMESH_RABBITMQ_DIST_PORT"] = "61674",
        ["RUNMESH_STATE_DIR"] = "/tmp/runmesh-reliability-servers",
    };

    private readonly IReadOnlyDictionary<string, string> _environment;

    private OwnServers(TestServers servers, IReadOnlyDictionary<string, string> environment)
    {
        Servers = servers;
        _environment = environment;
    }

    /// <summary>Where they answer, for <see cref="MeshHarness.StartAsync"/>.</summary>
    public TestServers Servers { get; }

    /// <summary>Starts both servers (installing them when missing) and returns them.</summary>
    public static async Task<OwnServers> StartAsync()
    {
        var output = await RunAsync(s_environment, "start");
        var env = output.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("RUNMESH_", StringComparison.Ordinal) && line.Contains('='))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts[1].Trim('"'));
        return new OwnServers(new TestServers(
            env["RUNMESH_POSTGRES"], new Uri(env["RUNMESH_RABBITMQ_URL"]), new Uri(env["RUNMESH_RABBITMQ_MANAGEMENT_URL"]), "reliability servers.sh"), s_environment);
    }

    /// <summary>Stops <paramref name="server"/> (<c>postgres</c> or <c>rabbitmq</c>) and leaves the other running.</summary>
    public Task StopAsync(string server) => RunAsync(_environment, $"stop {server}");

    /// <summary>Starts <paramref name="server"/> again and waits until it answers.</summary>
    public Task StartAsync(string server) => RunAsync(_environment, $"start {server}");

    public async ValueTask DisposeAsync() => await RunAsync(_environment, "stop");

    private static async Task<string> RunAsync(IReadOnlyDictionary<string, string> environment, string arguments)
    {
        var script = Path.Combine(RepositoryPaths.Root, "deploy", "local", "servers.sh");
        var start = new ProcessStartInfo("bash", $"\"{script}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"servers.sh {arguments} failed ({process.ExitCode}):{Environment.NewLine}{await stdout}{await stderr}");
    }
}
