using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Gateway;

/// <summary>
/// The gateway's cost: one authenticated GET through the gateway (API key → YARP → signed identity token →
/// orchestrator) versus the same GET sent straight to the orchestrator with a valid identity token, at a fixed
/// concurrency, alternating sides round by round so both see the same machine conditions.
/// </summary>
internal static class GatewayBenchmark
{
    /// <summary>The targets: the gateway keeps at least 85% of direct throughput and adds under 1 ms at p50.</summary>
    public const double TargetThroughputShare = 0.85;

    public const double TargetP50OverheadMs = 1.0;

    private const string Template = """
        {"name":"bench-gateway","version":1,"inputs":{"schema":{"type":"object","required":["feature"],"properties":{"feature":{"type":"string"}}}},
         "phases":[{"key":"spec","executor":"mock","instructions":"Write a spec for {{inputs.feature}}","artifact":{"schema":{"type":"object","required":["title"]}}}]}
        """;

    public static async Task<int> RunAsync(GatewaySettings settings, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Now();
        Console.WriteLine(
            $"gateway benchmark: concurrency {settings.Concurrency}, {settings.PrimeSeconds} s priming per side, then {settings.Rounds} round(s) of " +
            $"{settings.Seconds} s per side after {settings.WarmupSeconds} s warm-up, target {settings.Target}");
        Console.WriteLine($"machine: {machine}");
        Console.WriteLine("starting the mesh (orchestrator, phase worker, approval, report, gateway) on fresh databases and a fresh vhost…");

        // Request log lines cost the service time on both paths alike; the benchmark measures the gateway, not logging.
        await using var mesh = await MeshHarness.StartAsync("bench_gateway", settings: new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [MeshHarness.AllBackends] = RequestLogLines.Off(),
        });
        // The mesh's gateway keeps the default rate limit (1,200/min per key); this one must not throttle the load.
        var gateway = await mesh.StartGatewayAsync("gateway-bench", RequestLogLines.Off(new Dictionary<string, string>
        {
            ["Gateway:RateLimit:PermitsPerMinute"] = int.MaxValue.ToString(CultureInfo.InvariantCulture),
            // Every request comes from 127.0.0.1: no per-address limit either.
            ["Gateway:RateLimit:PerClientAddress:PermitsPerSecond"] = "0",
        }));
        var service = mesh.Service("orchestrator");
        var path = await ArrangeAsync(mesh, gateway, settings.Target, cancellationToken);
        Console.WriteLine($"measuring GET {path}: gateway {gateway.BaseAddress} vs orchestrator {service.BaseAddress}");

        using var tokens = new DirectTokens(mesh, "orchestrator");
        using var gatewayClient = Client(gateway.BaseAddress, settings.Concurrency);
        gatewayClient.DefaultRequestHeaders.Add("X-Api-Key", mesh.ApiKey("viewer"));
        using var directClient = Client(service.BaseAddress, settings.Concurrency);

        // Tiered JIT keeps recompiling the services' and the gateway's hot paths for many seconds after start (the
        // orchestrator's CPU per request fell from 2.3 to 0.7 ms over the first minute); prime both sides first.
        Console.WriteLine($"priming: {settings.PrimeSeconds} s per side, unmeasured");
        await LoadAsync(gatewayClient, () => new HttpRequestMessage(HttpMethod.Get, path), settings.Concurrency,
            TimeSpan.FromSeconds(settings.PrimeSeconds), report: null, cancellationToken);
        await LoadAsync(directClient, () => tokens.Authorize(new HttpRequestMessage(HttpMethod.Get, path)), settings.Concurrency,
            TimeSpan.FromSeconds(settings.PrimeSeconds), report: null, cancellationToken);

        var phases = new List<GatewayPhaseResult>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            // Alternate which side goes first, so a drift in machine load does not always favour one side.
            var sides = round % 2 == 1 ? new[] { "gateway", "direct" } : ["direct", "gateway"];
            foreach (var side in sides)
            {
                var client = side == "gateway" ? gatewayClient : directClient;
                Func<HttpRequestMessage> request = side == "gateway"
                    ? () => new HttpRequestMessage(HttpMethod.Get, path)
                    : () => tokens.Authorize(new HttpRequestMessage(HttpMethod.Get, path));
                Console.WriteLine($"round {round}, {side}: warm-up {settings.WarmupSeconds} s");
                await LoadAsync(client, request, settings.Concurrency, TimeSpan.FromSeconds(settings.WarmupSeconds), report: null, cancellationToken);

                var cpuBefore = (Gateway: ProcessCpu.Of(gateway.ProcessId), Service: ProcessCpu.Of(service.ProcessId), Client: ProcessCpu.OfThisProcess());
                var started = Stopwatch.GetTimestamp();
                var recorder = await LoadAsync(client, request, settings.Concurrency, TimeSpan.FromSeconds(settings.Seconds),
                    report: (elapsed, count) => Console.WriteLine($"    {elapsed.TotalSeconds,5:F1} s  {count,8} requests  ≈{count / elapsed.TotalSeconds,7:F0}/s"),
                    cancellationToken);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var sorted = recorder.Sorted();
                var result = new GatewayPhaseResult(
                    round, side, sorted.Length, recorder.Errors, Math.Round(seconds, 3),
                    Math.Round(sorted.Length / seconds, 1),
                    Math.Round(LatencyRecorder.Milliseconds(sorted, 0.50), 3),
                    Math.Round(LatencyRecorder.Milliseconds(sorted, 0.99), 3),
                    CpuPerRequest(ProcessCpu.Of(gateway.ProcessId) - cpuBefore.Gateway, sorted.Length),
                    CpuPerRequest(ProcessCpu.Of(service.ProcessId) - cpuBefore.Service, sorted.Length),
                    CpuPerRequest(ProcessCpu.OfThisProcess() - cpuBefore.Client, sorted.Length));
                Console.WriteLine(
                    $"    → {result.RequestsPerSecond:F0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, {result.Errors} errors; " +
                    $"CPU per request: gateway {result.GatewayCpuMsPerRequest:F3} ms, service {result.ServiceCpuMsPerRequest:F3} ms, client {result.ClientCpuMsPerRequest:F3} ms");
                phases.Add(result);
            }
        }

        var summary = Summarize(phases);
        Console.WriteLine();
        Console.WriteLine(Table(phases, summary));
        var finished = MachineInfo.LoadAverageNow();
        Console.WriteLine($"load average at the end: {finished}");
        await ResultsFile.WriteAsync(settings.Out, new
        {
            benchmark = "gateway",
            startedOn = machine,
            loadAverageAtEnd = finished,
            settings,
            path,
            phases,
            summary,
        });
        return phases.Any(p => p.Errors > 0) ? 1 : 0;
    }

    /// <summary>Registers a template (and, for <c>run</c>, starts one run) through the gateway; returns the path to GET.</summary>
    private static async Task<string> ArrangeAsync(MeshHarness mesh, ServiceProcess gateway, string target, CancellationToken cancellationToken)
    {
        var admin = mesh.GatewayClient("admin", gateway: gateway);
        using (var registered = await admin.PostAsync("/api/templates", new StringContent(Template, Encoding.UTF8, "application/json"), cancellationToken))
        {
            await EnsureSuccessAsync(registered, "registering the template");
        }

        if (target == "templates")
        {
            return "/api/templates";
        }

        var body = """{"template":"bench-gateway@1","inputs":{"feature":"benchmarks"},"model":{"name":"mock"}}""";
        using var started = await admin.PostAsync("/api/runs", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
        await EnsureSuccessAsync(started, "starting a run");
        using var json = JsonDocument.Parse(await started.Content.ReadAsStringAsync(cancellationToken));
        return $"/api/runs/{json.RootElement.GetProperty("runId").GetString()}";
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static HttpClient Client(Uri baseAddress, int concurrency) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary><paramref name="concurrency"/> workers send requests back to back for <paramref name="duration"/>.</summary>
    private static async Task<LatencyRecorder> LoadAsync(
        HttpClient client, Func<HttpRequestMessage> request, int concurrency, TimeSpan duration,
        Action<TimeSpan, long>? report, CancellationToken cancellationToken)
    {
        var recorder = new LatencyRecorder(concurrency);
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long completed = 0;

        async Task WorkerAsync(int worker)
        {
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                var sent = Stopwatch.GetTimestamp();
                using var message = request();
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
                var elapsed = Stopwatch.GetTimestamp() - sent;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    recorder.Record(worker, elapsed);
                }
                else
                {
                    recorder.Error();
                }

                Interlocked.Increment(ref completed);
            }
        }

        var workers = Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => Task.Run(() => WorkerAsync(i), cancellationToken)));
        while (!workers.IsCompleted)
        {
            await Task.WhenAny(workers, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
            if (!workers.IsCompleted && report is not null)
            {
                report(Stopwatch.GetElapsedTime(started), Interlocked.Read(ref completed));
            }
        }

        await workers;
        return recorder;
    }

    private static double CpuPerRequest(TimeSpan cpu, int requests) =>
        requests == 0 ? double.NaN : Math.Round(cpu.TotalMilliseconds / requests, 4);

    private static GatewaySummary Summarize(IReadOnlyList<GatewayPhaseResult> phases)
    {
        GatewayPhaseResult Side(int round, string side) => phases.Single(p => p.Round == round && p.Side == side);
        var rounds = phases.Select(p => p.Round).Distinct().Order().Select(round =>
        {
            var (gateway, direct) = (Side(round, "gateway"), Side(round, "direct"));
            return new GatewayRoundRatio(
                round,
                Math.Round(gateway.RequestsPerSecond / direct.RequestsPerSecond, 3),
                Math.Round(gateway.P50Ms - direct.P50Ms, 3),
                Math.Round(gateway.P99Ms - direct.P99Ms, 3));
        }).ToList();
        return new GatewaySummary(
            rounds,
            Math.Round(rounds.Average(r => r.ThroughputShare), 3),
            Math.Round(rounds.Average(r => r.P50OverheadMs), 3));
    }

    private static string Table(IReadOnlyList<GatewayPhaseResult> phases, GatewaySummary summary)
    {
        var table = new StringBuilder();
        table.AppendLine("| round | side | requests | req/s | p50 ms | p99 ms | errors | CPU ms/req gateway | service | client |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in phases)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Round} | {p.Side} | {p.Requests} | {p.RequestsPerSecond:F0} | {p.P50Ms:F2} | {p.P99Ms:F2} | {p.Errors} | " +
                $"{p.GatewayCpuMsPerRequest:F3} | {p.ServiceCpuMsPerRequest:F3} | {p.ClientCpuMsPerRequest:F3} |");
        }

        table.AppendLine();
        foreach (var r in summary.Rounds)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"round {r.Round}: gateway/direct throughput {r.ThroughputShare:P1}, p50 +{r.P50OverheadMs:F2} ms, p99 +{r.P99OverheadMs:F2} ms");
        }

        table.Append(CultureInfo.InvariantCulture,
            $"mean: gateway keeps {summary.ThroughputShare:P1} of direct throughput (target ≥ {TargetThroughputShare:P0}), " +
            $"p50 overhead {summary.P50OverheadMs:F2} ms (target < {TargetP50OverheadMs:F0} ms)");
        return table.ToString();
    }

    /// <summary>An identity token for direct calls, reused for half its lifetime as the gateway reuses its own.</summary>
    private sealed class DirectTokens(MeshHarness mesh, string audience) : IDisposable
    {
        private readonly Lock _gate = new();
        private string _token = "";
        private long _renewAt;

        public HttpRequestMessage Authorize(HttpRequestMessage request)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Current());
            return request;
        }

        public void Dispose()
        {
        }

        private string Current()
        {
            lock (_gate)
            {
                if (Stopwatch.GetTimestamp() >= _renewAt)
                {
                    _token = IdentityTokens.Mint(mesh.SigningKey, audience, role: "viewer", subject: "bench-viewer");
                    _renewAt = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
                }

                return _token;
            }
        }
    }
}

/// <summary>One side of one round.</summary>
internal sealed record GatewayPhaseResult(
    int Round,
    string Side,
    int Requests,
    int Errors,
    double Seconds,
    double RequestsPerSecond,
    double P50Ms,
    double P99Ms,
    double GatewayCpuMsPerRequest,
    double ServiceCpuMsPerRequest,
    double ClientCpuMsPerRequest);

/// <summary>Gateway versus direct within one round.</summary>
internal sealed record GatewayRoundRatio(int Round, double ThroughputShare, double P50OverheadMs, double P99OverheadMs);

/// <summary>The rounds' ratios and their means.</summary>
internal sealed record GatewaySummary(IReadOnlyList<GatewayRoundRatio> Rounds, double ThroughputShare, double P50OverheadMs);
