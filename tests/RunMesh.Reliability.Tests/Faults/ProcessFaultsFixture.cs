using System.Collections.Concurrent;
using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.Faults;

/// <summary>
/// One mesh with two phase-worker replicas for the faults that kill service processes and for the poison message.
/// Its tests run one after another (one class), each with its own load; the poison bodies injected so far are kept
/// here because they stay in the vhost's error queue for the tests that follow.
/// </summary>
public sealed class ProcessFaultsFixture : IAsyncLifetime
{
    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    /// <summary>Bodies of the poison messages injected into this mesh (allowed in its error queues).</summary>
    public ConcurrentBag<string> InjectedPoison { get; } = [];

    public async Task InitializeAsync() => _mesh = await ReliabilityMesh.StartAsync("relproc", phaseWorkers: 2);

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}
