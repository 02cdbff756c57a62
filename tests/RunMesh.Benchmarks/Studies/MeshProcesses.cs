using RunMesh.Benchmarks.Reporting;
using RunMesh.Benchmarks.Runs;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Studies;

/// <summary>
/// The processes whose CPU a study costs, by name: every service of the mesh (the planner, the orchestrator, the phase
/// worker, approval, report, both gateways), the PostgreSQL server and the RabbitMQ node with all their processes when
/// they run on this machine, and this program.
/// </summary>
internal sealed class MeshProcesses
{
    public const string Planner = "planner";
    public const string Postgres = "postgres";
    public const string RabbitMq = "rabbitmq";
    public const string Benchmark = "benchmark";

    private readonly MeshHarness _mesh;
    private readonly int? _postmaster;
    private readonly int? _broker;

    private MeshProcesses(MeshHarness mesh, int? postmaster, int? broker)
    {
        _mesh = mesh;
        _postmaster = postmaster;
        _broker = broker;
    }

    public static async Task<MeshProcesses> FindAsync(MeshHarness mesh, TestServers servers)
    {
        using var management = MeshProfile.ManagementClient(servers);
        return new MeshProcesses(mesh, await ServerProcesses.PostmasterIdAsync(servers), await ServerProcesses.BrokerNodeIdAsync(management));
    }

    /// <summary>The planner's OS process.</summary>
    public int? PlannerId => _mesh.Service(Planner).ProcessId;

    /// <summary>The servers whose CPU is read (a server on another host or in a container is not).</summary>
    public IReadOnlyList<string> ServersMeasured =>
        [.. new[] { (Postgres, _postmaster), (RabbitMq, _broker) }.Where(s => s.Item2 is not null).Select(s => s.Item1)];

    /// <summary>CPU used so far (ms), per process name.</summary>
    public SortedDictionary<string, double> CpuMs()
    {
        var cpu = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var service in _mesh.Services)
        {
            cpu[service.Name] = ProcessCpu.Of(service.ProcessId).TotalMilliseconds;
        }

        if (_postmaster is { } postmaster)
        {
            cpu[Postgres] = ProcessCpu.OfTree(postmaster).TotalMilliseconds;
        }

        if (_broker is { } broker)
        {
            cpu[RabbitMq] = ProcessCpu.OfTree(broker).TotalMilliseconds;
        }

        cpu[Benchmark] = ProcessCpu.OfThisProcess().TotalMilliseconds;
        return cpu;
    }
}
