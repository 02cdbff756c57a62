using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// RunMesh itself: the whole mesh as processes (MeshHarness), runs of a P-phase mock template started over REST by
/// concurrent clients (through a gateway without a rate limit, or straight to the orchestrator with an identity
/// token), completion seen by one poller of the orchestrator's <c>runs</c> table, latency from the run's own events
/// (<c>run.created</c> → <c>run.completed</c>, read through <c>GET /api/runs/{runId}/events</c> afterwards).
/// </summary>
internal sealed class MeshSystem : IAsyncDisposable
{
    private readonly MeshHarness _mesh;
    private readonly HttpClient _client;
    private readonly RunCompletions _completions;
    private readonly HashSet<string> _registered = new(StringComparer.Ordinal);
    private int _workers = 1;

    private MeshSystem(MeshHarness mesh, HttpClient client, RunCompletions completions)
    {
        _mesh = mesh;
        _client = client;
        _completions = completions;
    }

    public MeshHarness Mesh => _mesh;

    public RunCompletions Completions => _completions;

    public int Workers => _workers;

    public static async Task<MeshSystem> StartAsync(RunsSettings settings)
    {
        // The scaling rows' setting: 4 executions per worker, prefetch equal to it (the endpoint sets both).
        var mesh = await StartMeshAsync("bench_runs", workerConcurrency: 4, settings.OrchestratorPrefetch);
        try
        {
            var client = settings.Via == "gateway"
                ? await UnthrottledGatewayClientAsync(mesh)
                : mesh.ServiceClient("orchestrator", "submitter");
            var completions = await RunCompletions.StartAsync(mesh.OutsideSystemAmqpUrl);
            return new MeshSystem(mesh, client, completions);
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The mesh as processes on fresh databases and a fresh vhost, with request log lines off, one phase worker of
    /// <paramref name="workerConcurrency"/> executions and, when given, the orchestrator's prefetch.
    /// </summary>
    public static async Task<MeshHarness> StartMeshAsync(string purpose, int workerConcurrency, int? orchestratorPrefetch = null)
    {
        var overrides = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            // Request log lines cost every request alike; the run's own event log lines stay as shipped.
            [MeshHarness.AllBackends] = RequestLogLines.Off(),
            ["phase-worker"] = new Dictionary<string, string> { ["PhaseWorker:ConcurrentExecutions"] = workerConcurrency.ToString(CultureInfo.InvariantCulture) },
        };
        if (orchestratorPrefetch is { } prefetch)
        {
            // The orchestrator's endpoints take prefetch = concurrency from RabbitMq:PrefetchCount (before/after experiments).
            overrides["orchestrator"] = new Dictionary<string, string> { ["RabbitMq:PrefetchCount"] = prefetch.ToString(CultureInfo.InvariantCulture) };
        }

        return await MeshHarness.StartAsync(purpose, phaseWorkers: 1, settings: overrides);
    }

    /// <summary>The submitter's client through a second gateway of <paramref name="mesh"/> that has no rate limit.</summary>
    public static async Task<HttpClient> UnthrottledGatewayClientAsync(MeshHarness mesh)
    {
        // The mesh's gateway keeps the default rate limit (1,200/min per key); this one must not throttle the load.
        var gateway = await mesh.StartGatewayAsync("gateway-bench", RequestLogLines.Off(new Dictionary<string, string>
        {
            ["Gateway:RateLimit:PermitsPerMinute"] = int.MaxValue.ToString(CultureInfo.InvariantCulture),
            // Every request comes from 127.0.0.1: no per-address limit either.
            ["Gateway:RateLimit:PerClientAddress:PermitsPerSecond"] = "0",
        }));
        return mesh.GatewayClient("submitter", gateway: gateway);
    }

    /// <summary>Registers <c>bench-{phases}p-{latencyMs}ms@1</c> (P mock phases, each waiting <paramref name="latencyMs"/>) and returns its reference.</summary>
    public async Task<string> RegisterTemplateAsync(int phases, int latencyMs)
    {
        var (reference, template) = MockTemplate(phases, latencyMs);
        if (_registered.Add(reference))
        {
            await _mesh.RegisterTemplatesAsync(template);
        }

        return reference;
    }

    /// <summary><c>bench-{phases}p-{latencyMs}ms@1</c>: P mock phases, each waiting <paramref name="latencyMs"/>; its reference and its text.</summary>
    public static (string Reference, string Template) MockTemplate(int phases, int latencyMs)
    {
        var name = $"bench-{phases}p-{latencyMs}ms";
        var phaseList = new JsonArray();
        for (var i = 1; i <= phases; i++)
        {
            phaseList.Add(new JsonObject
            {
                ["key"] = $"p{i}",
                ["executor"] = "mock",
                ["settings"] = new JsonObject { ["latencyMs"] = latencyMs },
                ["instructions"] = $"Phase {i} of {{{{inputs.feature}}}}",
                ["artifact"] = JsonNode.Parse("""{"schema":{"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}}"""),
            });
        }

        // JSON is YAML: the registration endpoint takes it as it is.
        return ($"{name}@1", new JsonObject { ["name"] = name, ["version"] = 1, ["phases"] = phaseList }.ToJsonString());
    }

    /// <summary>Adds phase worker replicas (same configuration, same queue) until there are <paramref name="workers"/>.</summary>
    public async Task ScaleWorkersAsync(int workers)
    {
        while (_workers < workers)
        {
            _workers++;
            await _mesh.AddReplicaAsync($"phase-worker-{_workers}", "phase-worker");
        }
    }

    /// <summary>Starts one run and waits until its RunFinished arrives; returns its id (a run that did not complete throws).</summary>
    public async Task<Guid> RunOnceAsync(string template, CancellationToken cancellationToken)
    {
        var runId = await StartRunAsync(_client, MeshRuns.NewRunBody(template), cancellationToken);
        var state = await _completions.WaitAsync(runId, cancellationToken);
        _completions.Forget(runId);
        return state == "Completed" ? runId : throw new InvalidOperationException($"run {runId} ended {state}");
    }

    /// <summary><c>POST /api/runs</c> with <paramref name="body"/>; returns the run's id (anything but 202 throws).</summary>
    /// <remarks>
    /// A 503 with <c>Retry-After</c> (the orchestrator's database pool was exhausted under the burst: nothing was
    /// applied) is sent again after the time it names, as a client should; the retries are counted in <see cref="Retries"/>.
    /// </remarks>
    public static async Task<Guid> StartRunAsync(HttpClient client, JsonObject body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await client.PostAsJsonAsync("/api/runs", body, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return Guid.Parse(JsonNode.Parse(text)!["runId"]!.GetValue<string>());
            }

            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter?.Delta is not { } wait || attempt == 5)
            {
                throw new InvalidOperationException($"POST /api/runs answered {(int)response.StatusCode}: {text}");
            }

            Interlocked.Increment(ref s_retries);
            await Task.Delay(wait, cancellationToken);
        }
    }

    private static int s_retries;

    /// <summary>How many starts were answered 503 and sent again so far.</summary>
    public static int Retries => Volatile.Read(ref s_retries);

    /// <summary>
    /// submit→completed of each run, from its events (<c>run.created</c> → <c>run.completed</c>), 8 requests at a time;
    /// and where the time went: admission → start (one transaction, so about 0), and each phase's
    /// dispatch → applied result (ExecutePhase → worker → PhaseSucceeded → saga transaction).
    /// </summary>
    public async Task<(List<double> Latencies, RunTimeline Timeline)> LatenciesAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        var latencies = new List<double>(runIds.Count);
        var admissions = new List<double>(runIds.Count);
        var phases = new List<double>(runIds.Count * 3);
        var finishes = new List<double>(runIds.Count);
        await Parallel.ForEachAsync(runIds, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (runId, token) =>
        {
            using var response = await _client.GetAsync($"/api/runs/{runId}/events?limit=1000", token);
            response.EnsureSuccessStatusCode();
            var events = JsonNode.Parse(await response.Content.ReadAsStringAsync(token))!["items"]!.AsArray()
                .Select(e => (Type: e!["type"]!.GetValue<string>(), At: e["at"]!.GetValue<DateTimeOffset>()))
                .ToList();
            DateTimeOffset? At(string type) => events.Where(e => e.Type == type).Select(e => (DateTimeOffset?)e.At).FirstOrDefault();
            var dispatched = events.Where(e => e.Type == "phase.dispatched").Select(e => e.At).ToList();
            var succeeded = events.Where(e => e.Type == "phase.succeeded").Select(e => e.At).ToList();
            lock (latencies)
            {
                if (At("run.created") is { } created && At("run.completed") is { } completed)
                {
                    latencies.Add((completed - created).TotalMilliseconds);
                    if (succeeded.Count > 0)
                    {
                        finishes.Add((completed - succeeded[^1]).TotalMilliseconds);
                    }
                }

                if (At("run.created") is { } admitted && At("run.started") is { } started)
                {
                    admissions.Add((started - admitted).TotalMilliseconds);
                }

                phases.AddRange(dispatched.Zip(succeeded, (d, s) => (s - d).TotalMilliseconds));
            }
        });
        return (latencies, new RunTimeline(Median.Of(admissions), Median.Of(phases), Median.Of(finishes)));
    }

    public async ValueTask DisposeAsync()
    {
        await _completions.DisposeAsync();
        await _mesh.DisposeAsync();
    }
}

/// <summary>Medians (ms) of a run's segments, from its events.</summary>
internal sealed record RunTimeline(double AdmissionToStartMs, double PhaseDispatchToResultMs, double LastResultToCompletedMs);
