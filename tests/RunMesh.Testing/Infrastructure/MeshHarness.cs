using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// The whole mesh as child processes for end-to-end tests: orchestrator, phase workers, approval, report and planner
/// (each with its own isolated database and the test's vhost), then the gateway routing to them.
/// Key material is made per mesh: a P-256 signing key pair (the gateway gets the private half, every service the
/// public half) and one API key per role.
/// </summary>
public sealed class MeshHarness : IAsyncDisposable
{
    /// <summary>The key of <c>StartAsync</c>'s settings that apply to every backend service.</summary>
    public const string AllBackends = "*";

    /// <summary>The four roles, lowest first.</summary>
    public static readonly IReadOnlyList<string> Roles = ["viewer", "submitter", "approver", "admin"];

    private readonly List<ServiceProcess> _services = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<HttpClient> _clients = [];
    private readonly Dictionary<string, string> _apiKeys;
    private readonly Dictionary<string, IsolatedDatabase> _databases = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _configurations = [];
    private readonly Dictionary<string, string> _replicaOf = [];
    private readonly Dictionary<string, Uri> _brokerUrls = [];
    private readonly string _keyDirectory;
    private Dictionary<string, string> _gatewayConfiguration = [];

    private MeshHarness(IsolatedVirtualHost broker)
    {
        Broker = broker;
        _keyDirectory = Directory.CreateTempSubdirectory("runmesh-keys-").FullName;
        SigningKey = IdentityTokens.NewKey();
        PrivateKeyPath = Path.Combine(_keyDirectory, "gateway-signing.key");
        PublicKeyPath = Path.Combine(_keyDirectory, "gateway-signing.pub");
        File.WriteAllText(PrivateKeyPath, SigningKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(PublicKeyPath, SigningKey.ExportSubjectPublicKeyInfoPem());
        _apiKeys = Roles.ToDictionary(role => role, role => $"rm_{role}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}");
    }

    /// <summary>The gateway's signing key (tests mint identity tokens with it, as if they were the gateway).</summary>
    public ECDsa SigningKey { get; }

    /// <summary>The PEM file of the gateway's private key.</summary>
    public string PrivateKeyPath { get; }

    /// <summary>The PEM file of the gateway's public key, given to every service.</summary>
    public string PublicKeyPath { get; }

    /// <summary>The API key of the identity <c>test-{role}</c>, which has <paramref name="role"/>.</summary>
    public string ApiKey(string role) => _apiKeys[role];

    /// <summary>The vhost every service of this mesh uses; its <see cref="IsolatedVirtualHost.AmqpUrl"/> is the operator's.</summary>
    public IsolatedVirtualHost Broker { get; }

    /// <summary>
    /// The AMQP URI of this mesh's vhost as the outside-system user (<c>RUNMESH_AMQP_URL</c>): it may publish only the
    /// public commands and read only its own <c>ext-…</c>/<c>amq.gen-…</c> queues bound to <c>RunFinished</c>.
    /// </summary>
    public Uri OutsideSystemAmqpUrl => _brokerUrls[BrokerUsers.OutsideSystem];

    /// <summary>The AMQP URI of this mesh's vhost as the broker user of <paramref name="service"/>.</summary>
    public Uri BrokerUrlOf(string service) => _brokerUrls[BrokerUsers.OfService(service).Name];

    /// <summary>The gateway (the mesh's only public door).</summary>
    public ServiceProcess Gateway => Service("gateway");

    /// <summary>The database of service <paramref name="name"/> (orchestrator, approval, report or planner), for tests that arrange or inspect its rows.</summary>
    public IsolatedDatabase DatabaseOf(string name) =>
        _databases.TryGetValue(name, out var database) ? database : throw new ArgumentException($"No database for {name} in this mesh.", nameof(name));

    /// <summary>All processes of the mesh.</summary>
    public IReadOnlyList<ServiceProcess> Services => _services;

    /// <summary>The process named <paramref name="name"/>.</summary>
    public ServiceProcess Service(string name) =>
        _services.SingleOrDefault(s => s.Name == name) ?? throw new ArgumentException($"No service named {name} in this mesh.", nameof(name));

    /// <summary>
    /// Starts a mesh on fresh databases and a fresh vhost and waits until every service is ready.
    /// <paramref name="settings"/> adds configuration per backend service name (<c>orchestrator</c>, <c>approval</c>,
    /// <c>report</c>, <c>planner</c>, <c>phase-worker</c> for every worker, <c>gateway</c>), and under <see cref="AllBackends"/> to every
    /// backend (not the gateway). The mesh uses the test process's shared servers unless <paramref name="servers"/> names
    /// others (the reliability suite restarts servers of its own).
    /// </summary>
    public static async Task<MeshHarness> StartAsync(
        string purpose, int phaseWorkers = 1, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? settings = null,
        TestServers? servers = null)
    {
        servers ??= await TestServers.GetAsync();
        var broker = await IsolatedVirtualHost.CreateAsync(servers, purpose);
        var mesh = new MeshHarness(broker);
        try
        {
            // Each service connects as its own broker user, with the permissions the local scripts give it.
            foreach (var user in BrokerUsers.All)
            {
                mesh._brokerUrls[user.Name] = await broker.GrantAsync(user);
            }

            var bus = new Dictionary<string, string>
            {
                ["Identity:GatewayPublicKeyPath"] = mesh.PublicKeyPath,
                // Request lines in the log show which service a request reached.
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            };
            if (settings is not null && settings.TryGetValue(AllBackends, out var everywhere))
            {
                foreach (var (key, value) in everywhere)
                {
                    bus[key] = value;
                }
            }

            foreach (var (name, project) in new[] { ("orchestrator", "Orchestrator"), ("approval", "Approval"), ("report", "Report"), ("planner", "Planner") })
            {
                var database = await IsolatedDatabase.CreateAsync(servers, $"{purpose}_{name}");
                mesh._owned.Add(database);
                mesh._databases[name] = database;
                mesh.Add(name, project, new Dictionary<string, string>(bus)
                {
                    ["RabbitMq:Url"] = mesh.BrokerUrlOf(name).ToString(),
                    ["ConnectionStrings:Database"] = database.ConnectionString,
                }, settings);
            }

            // As in deploy/local/mesh.sh: the http executor may call the tests' loopback servers on any port.
            var worker = new Dictionary<string, string>(bus)
            {
                ["RabbitMq:Url"] = mesh.BrokerUrlOf("phase-worker").ToString(),
                ["PhaseWorker:Http:AllowedHosts:0"] = "127.0.0.1:*",
                ["PhaseWorker:Http:AllowedHosts:1"] = "localhost:*",
            };
            for (var i = 1; i <= phaseWorkers; i++)
            {
                mesh.Add(phaseWorkers == 1 ? "phase-worker" : $"phase-worker-{i}", "PhaseWorker", worker, settings);
            }

            var gateway = new Dictionary<string, string>
            {
                ["Gateway:Signing:PrivateKeyPath"] = mesh.PrivateKeyPath,
                // Console sessions survive a gateway restart, and the mesh's extra gateways accept each other's cookies.
                ["Gateway:Sessions:Directory"] = Path.Combine(mesh._keyDirectory, "gateway-sessions"),
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            };
            foreach (var role in Roles)
            {
                gateway[$"Gateway:ApiKeys:test-{role}:Role"] = role;
                gateway[$"Gateway:ApiKeys:test-{role}:KeyHashes:0"] = HashOf(mesh.ApiKey(role));
            }

            foreach (var cluster in new[] { "orchestrator", "approval", "report", "planner" })
            {
                gateway[$"ReverseProxy:Clusters:{cluster}:Destinations:{cluster}-1:Address"] = mesh.Service(cluster).BaseAddress.ToString();
            }

            var backends = mesh._services.ToList();
            foreach (var service in backends)
            {
                service.Start();
            }

            await Task.WhenAll(backends.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(90))));
            if (settings is not null && settings.TryGetValue("gateway", out var gatewayExtra))
            {
                foreach (var (key, value) in gatewayExtra)
                {
                    gateway[key] = value;
                }
            }

            mesh._gatewayConfiguration = gateway;
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

    private ServiceProcess Add(
        string name, string project, IReadOnlyDictionary<string, string> configuration,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? settings = null)
    {
        if (settings is not null && settings.TryGetValue(project == "PhaseWorker" ? "phase-worker" : name, out var extra))
        {
            var merged = new Dictionary<string, string>(configuration);
            foreach (var (key, value) in extra)
            {
                merged[key] = value;
            }

            configuration = merged;
        }

        var service = new ServiceProcess(name, project, configuration);
        _services.Add(service);
        _configurations[name] = configuration;
        return service;
    }

    /// <summary>
    /// Starts another instance of service <paramref name="replicaOf"/> named <paramref name="name"/> (same project,
    /// database and vhost, its own port) and waits until it is ready. The mesh's gateway does not route to it; start
    /// a gateway that lists it as a destination (<see cref="StartGatewayAsync"/>).
    /// </summary>
    public async Task<ServiceProcess> AddReplicaAsync(string name, string replicaOf)
    {
        var original = Service(replicaOf);
        var replica = Add(name, original.Project, _configurations[replicaOf]);
        _replicaOf[name] = _replicaOf.GetValueOrDefault(replicaOf, replicaOf);
        replica.Start();
        await replica.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        return replica;
    }

    /// <summary>
    /// Starts another gateway in front of the same services, with <paramref name="overrides"/> on top of the mesh's
    /// gateway configuration (e.g. a low rate limit, or a destination that does not answer), and waits until it
    /// answers <c>/health/live</c> (or <c>/health/ready</c> when <paramref name="waitUntilReady"/>).
    /// </summary>
    public async Task<ServiceProcess> StartGatewayAsync(string name, IReadOnlyDictionary<string, string> overrides, bool waitUntilReady = true)
    {
        var configuration = new Dictionary<string, string>(_gatewayConfiguration);
        foreach (var (key, value) in overrides)
        {
            configuration[key] = value;
        }

        var gateway = Add(name, "Gateway", configuration);
        gateway.Start();
        if (waitUntilReady)
        {
            await gateway.WaitUntilReadyAsync();
        }
        else
        {
            await Eventually.UntilAsync(
                async () => gateway.IsRunning
                    ? (await gateway.Http.GetAsync("/health/live")).IsSuccessStatusCode
                    : throw new InvalidOperationException($"{name} exited.{Environment.NewLine}{gateway.LogTail()}"),
                TimeSpan.FromSeconds(60), $"{name} to answer /health/live", () => gateway.LogTail());
        }

        return gateway;
    }

    /// <summary>
    /// Waits until the gateway routes to every backend cluster again: a request to each answers with the service's
    /// own status, not the gateway's 502/503/504. After a server restart the services are ready before the gateway's
    /// next active health probe (every 5 s) takes them back.
    /// </summary>
    public async Task WaitUntilGatewayRoutesAsync(TimeSpan timeout)
    {
        var viewer = GatewayClient("viewer");
        string[] paths = ["/api/templates", "/api/approvals?limit=1", $"/api/runs/{Guid.Empty}/report", "/api/studies?limit=1"];
        var last = new Dictionary<string, int>();
        await Eventually.UntilAsync(
            async () =>
            {
                foreach (var path in paths)
                {
                    using var response = await viewer.GetAsync(path);
                    last[path] = (int)response.StatusCode;
                }

                return last.Values.All(status => status is not (502 or 503 or 504));
            },
            timeout,
            "the gateway to route to every service again",
            () => string.Join(", ", last.Select(kv => $"{kv.Key} → {kv.Value}")));
    }

    /// <summary>
    /// A client for <paramref name="gateway"/> (the mesh's by default) that sends the API key of <paramref name="role"/>
    /// (none when null) as <c>X-Api-Key</c>, or as <c>Authorization: Bearer</c> when <paramref name="asBearer"/>.
    /// </summary>
    public HttpClient GatewayClient(string? role, bool asBearer = false, ServiceProcess? gateway = null)
    {
        var client = new HttpClient { BaseAddress = (gateway ?? Gateway).BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (role is not null)
        {
            if (asBearer)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey(role));
            }
            else
            {
                client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey(role));
            }
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// A client for <paramref name="gateway"/> (the mesh's by default) that sends <paramref name="apiKey"/> as
    /// <c>X-Api-Key</c>: a second key of an identity the test configured, or a key the gateway does not know.
    /// </summary>
    public HttpClient GatewayClientWithKey(string apiKey, ServiceProcess? gateway = null)
    {
        var client = new HttpClient { BaseAddress = (gateway ?? Gateway).BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        _clients.Add(client);
        return client;
    }

    /// <summary>A client that calls service <paramref name="name"/> directly with a fresh identity token for <paramref name="role"/>, as the gateway would.</summary>
    public HttpClient ServiceClient(string name, string role = "admin")
    {
        var service = Service(name);
        var original = _replicaOf.GetValueOrDefault(name, name);
        var audience = original.StartsWith("phase-worker", StringComparison.Ordinal) ? "phase-worker" : original;
        var client = new HttpClient(new IdentityTokenHandler(SigningKey, audience, role))
        {
            BaseAddress = service.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _clients.Add(client);
        return client;
    }

    /// <summary>How an API key is configured: <c>sha256:</c> and the hex SHA-256 of its UTF-8 bytes.</summary>
    public static string HashOf(string apiKey) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    /// <summary>The log tails of every service, for a failure message.</summary>
    public string LogTails(int lines = 40) => string.Join(Environment.NewLine, _services.Select(s => s.LogTail(lines)));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Task.WhenAll(_services.Select(s => s.DisposeAsync().AsTask()));
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await Broker.DisposeAsync();
        SigningKey.Dispose();
        Directory.Delete(_keyDirectory, recursive: true);
    }
}
