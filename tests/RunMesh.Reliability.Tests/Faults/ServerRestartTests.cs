using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.Faults;

/// <summary>
/// Faults 4 and 5 of docs/reliability.md: RabbitMQ and PostgreSQL restarted while runs are in flight. They run in a serial
/// collection (never beside another test) on servers of their own (<see cref="OwnServers"/>), so the shared servers
/// the other suites use are never stopped.
/// </summary>
[Collection(ServerRestarts.Name)]
public sealed class ServerRestartTests(ServerRestartTests.RestartableMesh fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task RabbitMQ_restarted_under_load_loses_no_run_and_applies_each_result_once()
    {
        var mesh = fixture.Mesh;
        await ReliabilityMesh.RunUnderFaultAsync(mesh, output, "fault 4: restart RabbitMQ", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(mesh, driver);
            await fixture.Servers.StopAsync("rabbitmq");
            await Eventually.UntilAsync(
                async () => !await mesh.Service("orchestrator").ReadyAsync(),
                TimeSpan.FromSeconds(60), "the orchestrator to notice the broker is gone (not ready)");
            await fixture.Servers.StartAsync("rabbitmq");
            await Task.WhenAll(mesh.Services.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));
            await mesh.WaitUntilGatewayRoutesAsync(TimeSpan.FromSeconds(60));
            return 1;
        });
    }

    [Fact]
    public async Task PostgreSQL_restarted_under_load_loses_no_run_and_applies_each_result_once()
    {
        var mesh = fixture.Mesh;
        await ReliabilityMesh.RunUnderFaultAsync(mesh, output, "fault 5: restart PostgreSQL", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(mesh, driver);
            await fixture.Servers.StopAsync("postgres");
            await Eventually.UntilAsync(
                async () => !await mesh.Service("orchestrator").ReadyAsync(),
                TimeSpan.FromSeconds(60), "the orchestrator to notice the database is gone (not ready)");
            await fixture.Servers.StartAsync("postgres");

            // This test process's own pooled connections died with the server, like the services' did.
            Npgsql.NpgsqlConnection.ClearAllPools();
            await Task.WhenAll(mesh.Services.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));
            await mesh.WaitUntilGatewayRoutesAsync(TimeSpan.FromSeconds(60));
            return 1;
        });
    }

    /// <summary>The suite's own servers and a mesh on them, for the tests of <see cref="ServerRestarts"/>.</summary>
    public sealed class RestartableMesh : IAsyncLifetime
    {
        private OwnServers? _servers;
        private MeshHarness? _mesh;

        public OwnServers Servers => _servers ?? throw new InvalidOperationException("The servers have not started.");

        public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

        public async Task InitializeAsync()
        {
            _servers = await OwnServers.StartAsync();
            _mesh = await ReliabilityMesh.StartAsync("relrestart", phaseWorkers: 2, servers: _servers.Servers);
        }

        public async Task DisposeAsync()
        {
            if (_mesh is not null)
            {
                await _mesh.DisposeAsync();
            }

            if (_servers is not null)
            {
                await _servers.DisposeAsync();
            }
        }
    }
}

/// <summary>The serial collection of the server restarts: nothing else runs while it does.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerRestarts : ICollectionFixture<ServerRestartTests.RestartableMesh>
{
    public const string Name = "server restarts";
}
