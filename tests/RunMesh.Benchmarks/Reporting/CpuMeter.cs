using RunMesh.Benchmarks.Runs;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Reporting;

/// <summary>
/// All the CPU a system spends on this machine: this program (clients, and the in-process systems), PostgreSQL and
/// RabbitMQ with all their processes, and the system's own processes (RunMesh's services). Read before and after a
/// batch, the difference per run says what a run costs, wherever it is spent — on 2 shared cores that bounds the rate.
/// </summary>
internal sealed class CpuMeter
{
    private readonly int? _postmaster;
    private readonly int? _broker;
    private readonly Func<IEnumerable<int?>> _processes;

    private CpuMeter(int? postmaster, int? broker, Func<IEnumerable<int?>> processes)
    {
        _postmaster = postmaster;
        _broker = broker;
        _processes = processes;
    }

    public static async Task<CpuMeter> StartAsync(TestServers servers, Func<IEnumerable<int?>>? processes = null)
    {
        using var management = MeshProfile.ManagementClient(servers);
        return new CpuMeter(
            await ServerProcesses.PostmasterIdAsync(servers), await ServerProcesses.BrokerNodeIdAsync(management), processes ?? (() => []));
    }

    /// <summary>CPU used so far by everything measured.</summary>
    public TimeSpan Total()
    {
        var total = ProcessCpu.OfThisProcess();
        total += _postmaster is { } postmaster ? ProcessCpu.OfTree(postmaster) : TimeSpan.Zero;
        total += _broker is { } broker ? ProcessCpu.OfTree(broker) : TimeSpan.Zero;
        foreach (var process in _processes())
        {
            total += ProcessCpu.Of(process);
        }

        return total;
    }
}
