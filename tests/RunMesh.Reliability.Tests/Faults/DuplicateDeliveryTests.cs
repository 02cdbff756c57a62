using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.Faults;

/// <summary>
/// Fault 6 of docs/reliability.md: every service publishes and sends every message twice with the same MessageId (the
/// test-only <c>Testing:DuplicatePublishes</c> hook in shared/Hosting). The inboxes must make every copy a no-op:
/// no result, decision, artifact, event or report applied twice.
/// </summary>
public sealed class DuplicateDeliveryTests(DuplicateDeliveryTests.DuplicatingMesh fixture, ITestOutputHelper output)
    : IClassFixture<DuplicateDeliveryTests.DuplicatingMesh>
{
    [Fact]
    public async Task Every_message_delivered_twice_is_applied_once()
    {
        var mesh = fixture.Mesh;
        var report = await ReliabilityMesh.RunUnderFaultAsync(mesh, output, "fault 6: every message published twice (same MessageId)", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(mesh, driver);
            return mesh.Services.Count(s => s.Name is not ("gateway" or "planner"));
        });

        // The planner publishes only for studies, and this load runs none.
        mesh.Services.Where(s => s.Name is not ("gateway" or "planner") && !s.LogContains("Duplicate delivery: published message"))
            .Select(s => s.Name).ShouldBeEmpty("every backend that publishes under this load duplicated its messages");
        report.DuplicatesDropped.ShouldBeGreaterThan(report.Submitted, "the inboxes saw (and dropped) the copies");
        report.Executions.ShouldBeGreaterThan(report.AppliedResults, "duplicated ExecutePhase messages ran again; their results were dropped");
    }

    /// <summary>A mesh whose every backend has <c>Testing:DuplicatePublishes</c> on.</summary>
    public sealed class DuplicatingMesh : IAsyncLifetime
    {
        private MeshHarness? _mesh;

        public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

        public async Task InitializeAsync() =>
            _mesh = await ReliabilityMesh.StartAsync("reldup", backends: new Dictionary<string, string> { ["Testing:DuplicatePublishes"] = "true" });

        public async Task DisposeAsync()
        {
            if (_mesh is not null)
            {
                await _mesh.DisposeAsync();
            }
        }
    }
}
