using System.Text.Json;

namespace RunMesh.Integration.Tests.Hosting;

/// <summary>
/// Each service boots against the real servers and reports ready; readiness follows its dependencies.
/// Outages are made with TCP proxies this class owns — the shared servers keep running for the other tests.
/// </summary>
public sealed class ServiceReadinessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string> DatabaseServices => new()
    {
        { "orchestrator", "Orchestrator" },
        { "approval", "Approval" },
        { "report", "Report" },
    };

    [Theory]
    [MemberData(nameof(DatabaseServices))]
    public async Task Service_is_not_ready_while_its_database_is_unreachable_and_ready_again_after(string name, string project)
    {
        await using var setup = await ProxiedService.StartAsync(name, project, withDatabase: true);
        await setup.Service.WaitUntilReadyAsync(s_timeout);

        setup.DatabaseProxy!.Cut();
        await WaitForCheckAsync(setup.Service, "database", expectHealthy: false);

        setup.DatabaseProxy.Restore();
        await setup.Service.WaitUntilReadyAsync(s_timeout);
    }

    [Theory]
    [MemberData(nameof(DatabaseServices))]
    [InlineData("phase-worker", "PhaseWorker")]
    public async Task Service_is_not_ready_while_its_broker_is_unreachable_and_ready_again_after(string name, string project)
    {
        await using var setup = await ProxiedService.StartAsync(name, project, withDatabase: project != "PhaseWorker");
        await setup.Service.WaitUntilReadyAsync(s_timeout);

        setup.BrokerProxy.Cut();
        await WaitForCheckAsync(setup.Service, "bus", expectHealthy: false);

        setup.BrokerProxy.Restore();
        await setup.Service.WaitUntilReadyAsync(s_timeout);
    }

    [Fact]
    public async Task Service_started_before_its_database_answers_becomes_ready_once_it_does()
    {
        await using var setup = await ProxiedService.StartAsync("orchestrator", "Orchestrator", withDatabase: true, cutDatabaseBeforeStart: true);

        await Eventually.UntilAsync(
            () => Task.FromResult(setup.Service.LogContains("unreachable")),
            s_timeout, "the orchestrator to report its database unreachable", () => setup.Service.LogTail());
        (await setup.Service.ReadyAsync()).ShouldBeFalse();

        setup.DatabaseProxy!.Restore();
        await setup.Service.WaitUntilReadyAsync(s_timeout);
    }

    [Fact]
    public async Task Service_that_cannot_bind_its_port_is_not_taken_for_ready_because_another_process_answers_there()
    {
        await using var first = await ProxiedService.StartAsync("phase-worker", "PhaseWorker", withDatabase: false);
        await first.Service.WaitUntilReadyAsync(s_timeout);

        // A second worker told to use the same port: Kestrel refuses to bind, while the first one answers ready there.
        await using var second = new ServiceProcess("phase-worker-2", "PhaseWorker", first.Configuration, first.Service.Port);
        second.Start();

        var failure = await Should.ThrowAsync<Exception>(() => second.WaitUntilReadyAsync(s_timeout));
        failure.Message.ShouldContain("address already in use", Case.Insensitive);
        (await first.Service.ReadyAsync()).ShouldBeTrue();
    }

    [Fact]
    public void Ports_handed_out_are_distinct_and_free_to_listen_on()
    {
        var ports = Enumerable.Range(0, 50).Select(_ => ServiceProcess.FreePort()).ToList();

        ports.Distinct().Count().ShouldBe(ports.Count);
        foreach (var port in ports.Take(5))
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
        }
    }

    private static Task WaitForCheckAsync(ServiceProcess service, string check, bool expectHealthy) =>
        Eventually.UntilAsync(
            async () =>
            {
                using var response = await service.Http.GetAsync("/health/ready");
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var status = body.RootElement.GetProperty("checks").GetProperty(check).GetProperty("status").GetString();
                var healthy = status == "healthy";
                return healthy == expectHealthy && (expectHealthy || (int)response.StatusCode == 503);
            },
            s_timeout,
            $"{service.Name}'s '{check}' check to be {(expectHealthy ? "healthy" : "unhealthy")} (and /health/ready 503)",
            () => service.LogTail());

    /// <summary>One service process whose database and broker connections run through proxies the test owns.</summary>
    private sealed class ProxiedService : IAsyncDisposable
    {
        private IsolatedDatabase? _database;
        private IsolatedVirtualHost? _broker;

        public required ServiceProcess Service { get; init; }

        public required TcpProxy BrokerProxy { get; init; }

        public TcpProxy? DatabaseProxy { get; init; }

        /// <summary>The configuration the service was started with.</summary>
        public required IReadOnlyDictionary<string, string> Configuration { get; init; }

        public static async Task<ProxiedService> StartAsync(string name, string project, bool withDatabase, bool cutDatabaseBeforeStart = false)
        {
            var servers = await TestServers.GetAsync();
            var broker = await IsolatedVirtualHost.CreateAsync(servers, $"ready-{name}");
            var brokerProxy = new TcpProxy(servers.RabbitMq.Host, servers.RabbitMq.Port);
            var configuration = new Dictionary<string, string> { ["RabbitMq:Url"] = broker.Via(brokerProxy.Port).ToString() };

            IsolatedDatabase? database = null;
            TcpProxy? databaseProxy = null;
            if (withDatabase)
            {
                database = await IsolatedDatabase.CreateAsync(servers, $"ready_{name}");
                var target = new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString);
                databaseProxy = new TcpProxy(target.Host!, target.Port);
                target.Port = databaseProxy.Port;
                configuration["ConnectionStrings:Database"] = target.ConnectionString;
                if (cutDatabaseBeforeStart)
                {
                    databaseProxy.Cut();
                }
            }

            var service = new ServiceProcess(name, project, configuration);
            service.Start();
            return new ProxiedService { Service = service, Configuration = configuration, BrokerProxy = brokerProxy, DatabaseProxy = databaseProxy, _database = database, _broker = broker };
        }

        public async ValueTask DisposeAsync()
        {
            await Service.DisposeAsync();
            await BrokerProxy.DisposeAsync();
            if (DatabaseProxy is not null)
            {
                await DatabaseProxy.DisposeAsync();
            }

            if (_database is not null)
            {
                await _database.DisposeAsync();
            }

            if (_broker is not null)
            {
                await _broker.DisposeAsync();
            }
        }
    }
}
