namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// The whole mesh as child processes for end-to-end tests: orchestrator, phase workers, approval and report
/// (each with its own isolated database and the test's vhost), then the gateway routing to them.
/// </summary>
public sealed class MeshHarness : IAsyncDisposable
{
    private readonly List<ServiceProcess> _services = [];
    private readonly List<IAsyncDisposable> _owned = [];

    private MeshHarness(IsolatedVirtualHost broker)
    {
        Broker = broker;
    }

    /// <summary>The vhost every service of this mesh uses.</summary>
    public IsolatedVirtualHost Broker { get; }

    /// <summary>The gateway (the mesh's only public door).</summary>
    public ServiceProcess Gateway => Service("gateway");

    /// <summary>All processes of the mesh.</summary>
    public IReadOnlyList<ServiceProcess> Services => _services;

    /// <summary>The process named <paramref name="name"/>.</summary>
    public ServiceProcess Service(string name) =>
        _services.SingleOrDefault(s => s.Name == name) ?? throw new ArgumentException($"No service named {name} in this mesh.", nameof(name));

    /// <summary>Starts a mesh on fresh databases and a fresh vhost and waits until every service is ready.</summary>
    public static async Task<MeshHarness> StartAsync(string purpose, int phaseWorkers = 1)
    {
        var servers = await TestServers.GetAsync();
        var broker = await IsolatedVirtualHost.CreateAsync(servers, purpose);
        var mesh = new MeshHarness(broker);
        try
        {
            var bus = new Dictionary<string, string> { ["RabbitMq:Url"] = broker.AmqpUrl.ToString() };
            foreach (var (name, project) in new[] { ("orchestrator", "Orchestrator"), ("approval", "Approval"), ("report", "Report") })
            {
                var database = await IsolatedDatabase.CreateAsync(servers, $"{purpose}_{name}");
                mesh._owned.Add(database);
                mesh.Add(name, project, new Dictionary<string, string>(bus) { ["ConnectionStrings:Database"] = database.ConnectionString });
            }

            for (var i = 1; i <= phaseWorkers; i++)
            {
                mesh.Add(phaseWorkers == 1 ? "phase-worker" : $"phase-worker-{i}", "PhaseWorker", bus);
            }

            var gateway = new Dictionary<string, string>();
            foreach (var cluster in new[] { "orchestrator", "approval", "report" })
            {
                gateway[$"ReverseProxy:Clusters:{cluster}:Destinations:{cluster}-1:Address"] = mesh.Service(cluster).BaseAddress.ToString();
            }

            var backends = mesh._services.ToList();
            foreach (var service in backends)
            {
                service.Start();
            }

            await Task.WhenAll(backends.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(90))));
            mesh.Add("gateway", "Gateway", gateway).Start();
            await mesh.Gateway.WaitUntilReadyAsync();
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    private ServiceProcess Add(string name, string project, IReadOnlyDictionary<string, string> configuration)
    {
        var service = new ServiceProcess(name, project, configuration);
        _services.Add(service);
        return service;
    }

    /// <summary>The log tails of every service, for a failure message.</summary>
    public string LogTails(int lines = 40) => string.Join(Environment.NewLine, _services.Select(s => s.LogTail(lines)));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_services.Select(s => s.DisposeAsync().AsTask()));
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Broker.DisposeAsync();
    }
}
