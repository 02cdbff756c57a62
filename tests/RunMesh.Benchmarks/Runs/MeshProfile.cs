using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// What a batch of runs cost, counted from outside the services: each service's own metrics (<c>/metrics</c>:
/// Npgsql's command count — one per round trip, a batch counts once — and MassTransit's receive/consume/publish/send
/// counters), PostgreSQL's committed transactions per service database (<c>pg_stat_database.xact_commit</c>), and
/// RabbitMQ's message counters of the mesh's vhost (publishes, confirms, deliveries, acks).
/// </summary>
internal sealed class MeshProfile
{
    /// <summary>RabbitMQ refreshes its counters every 5 s and PostgreSQL flushes a backend's counters at most every second.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(6);

    private static readonly string[] s_brokerCounters = ["publish", "confirm", "deliver_get", "ack", "redeliver"];

    public required Dictionary<string, double> Counters { get; init; }

    public required long Timestamp { get; init; }

    public static async Task<MeshProfile> TakeAsync(MeshHarness mesh, TestServers servers, long ownDeliveries)
    {
        var counters = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var service in mesh.Services.Where(s => s.ProcessId is not null))
        {
            using var response = await service.Http.GetAsync("/metrics");
            if (!response.IsSuccessStatusCode)
            {
                continue;
            }

            foreach (var (name, value) in ParsePrometheus(await response.Content.ReadAsStringAsync()))
            {
                var key = $"{ServiceGroup(service.Name)}.{name}";
                counters[key] = counters.GetValueOrDefault(key) + value;
            }

            var cpu = $"cpu_ms.{ServiceGroup(service.Name)}";
            counters[cpu] = counters.GetValueOrDefault(cpu) + ProcessCpu.Of(service.ProcessId).TotalMilliseconds;
        }

        // Where the CPU of a run goes besides the services: the servers (all their processes) and this program
        // (the closed-loop clients and the RunFinished subscriber).
        counters["cpu_ms.benchmark"] = ProcessCpu.OfThisProcess().TotalMilliseconds;
        if (await ServerProcesses.PostmasterIdAsync(servers) is { } postmaster)
        {
            counters["cpu_ms.postgres"] = ProcessCpu.OfTree(postmaster).TotalMilliseconds;
        }

        await using (var connection = new NpgsqlConnection(servers.PostgresAdmin))
        {
            await connection.OpenAsync();
            foreach (var service in new[] { "orchestrator", "approval", "report" })
            {
                await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = @name", connection);
                command.Parameters.AddWithValue("name", mesh.DatabaseOf(service).Name);
                counters[$"{service}.pg.xact_commit"] = Convert.ToDouble(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
            }
        }


        using var management = ManagementClient(servers);
        if (await ServerProcesses.BrokerNodeIdAsync(management) is { } broker)
        {
            counters["cpu_ms.rabbitmq"] = ProcessCpu.OfTree(broker).TotalMilliseconds;
        }

        using var vhost = JsonDocument.Parse(await management.GetStringAsync($"api/vhosts/{Uri.EscapeDataString(mesh.Broker.Name)}"));
        if (vhost.RootElement.TryGetProperty("message_stats", out var stats))
        {
            foreach (var counter in s_brokerCounters)
            {
                counters[$"broker.{counter}"] = stats.TryGetProperty(counter, out var value) ? value.GetDouble() : 0;
            }
        }

        // The benchmark's RunFinished subscriber is one more delivery per run (auto-acknowledged): not the mesh's.
        counters["broker.deliver_get"] = counters.GetValueOrDefault("broker.deliver_get") - ownDeliveries;

        return new MeshProfile { Counters = counters, Timestamp = System.Diagnostics.Stopwatch.GetTimestamp() };
    }

    /// <summary>Methods the JIT compiled so far in all the mesh's service processes (<c>dotnet.jit.compiled_methods</c>).</summary>
    public static async Task<long> JitCompiledMethodsAsync(MeshHarness mesh)
    {
        long total = 0;
        foreach (var service in mesh.Services.Where(s => s.ProcessId is not null))
        {
            using var response = await service.Http.GetAsync("/metrics");
            var line = response.IsSuccessStatusCode
                ? (await response.Content.ReadAsStringAsync()).Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_jit_compiled_methods_total", StringComparison.Ordinal))
                : null;
            if (line is not null && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                total += (long)value;
            }
        }

        return total;
    }

    /// <summary>
    /// (after − before − the background) ÷ runs for every counter that moved; the background is what moved between
    /// <paramref name="idle"/> and <paramref name="before"/> (nothing running), scaled to the measured window.
    /// </summary>
    public static SortedDictionary<string, double> PerRun(MeshProfile before, MeshProfile after, int runs, MeshProfile? idle = null)
    {
        var window = System.Diagnostics.Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var idleWindow = idle is null ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(idle.Timestamp, before.Timestamp).TotalSeconds;
        // CPU is not corrected: the idle window right after a warm-up is when tiered JIT recompiles hot methods, so
        // extrapolating it over-subtracts (it gave negative CPU per run under load); idle services use next to none.
        double Background(string key) =>
            idle is null || idleWindow <= 0 || key.StartsWith("cpu_ms.", StringComparison.Ordinal) ? 0 : (before.Counters.GetValueOrDefault(key) - idle.Counters.GetValueOrDefault(key)) / idleWindow * window;
        return new(after.Counters
            .Select(c => (c.Key, Delta: c.Value - before.Counters.GetValueOrDefault(c.Key) - Background(c.Key)))
            .Where(c => Math.Abs(c.Delta) > 0.5)
            .ToDictionary(c => c.Key, c => Math.Round(c.Delta / runs, 2)), StringComparer.Ordinal);
    }

    /// <summary>phase-worker-2 counts as phase-worker; the bench gateway as gateway.</summary>
    private static string ServiceGroup(string name) =>
        name.StartsWith("phase-worker", StringComparison.Ordinal) ? "phase-worker"
        : name.StartsWith("gateway", StringComparison.Ordinal) ? "gateway"
        : name;

    /// <summary>Sums of the Npgsql and MassTransit counters (<c>_total</c>, and the <c>_count</c> of histograms) over their label sets.</summary>
    private static Dictionary<string, double> ParsePrometheus(string text)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#' || !(line.StartsWith("db_client", StringComparison.Ordinal) || line.StartsWith("messaging_masstransit", StringComparison.Ordinal)))
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            var name = line[..nameEnd];
            if (!name.EndsWith("_total", StringComparison.Ordinal) && !name.EndsWith("_count", StringComparison.Ordinal))
            {
                continue;
            }

            var valueText = line[(line.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : nameEnd)..].Trim().Split(' ')[0];
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return sums;
    }

    internal static HttpClient ManagementClient(TestServers servers)
    {
        var userInfo = Uri.UnescapeDataString(servers.RabbitMqManagement.UserInfo.Length > 0 ? servers.RabbitMqManagement.UserInfo : servers.RabbitMq.UserInfo);
        var client = new HttpClient { BaseAddress = new UriBuilder(servers.RabbitMqManagement) { UserName = "", Password = "", Path = "/" }.Uri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        return client;
    }
}
