using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// One RunMesh service running as a child process (the built <c>RunMesh.{Project}.dll</c>) on a loopback port,
/// with its configuration passed on the command line. It can be SIGKILLed and restarted on the same port.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    /// <summary>
    /// When set to a directory, each service started writes the JIT's summary of every method it compiles (with its
    /// tier) to <c>{directory}/{name}.jit.txt</c>: which code keeps being compiled after warm-up.
    /// </summary>
    public const string JitSummaryVariable = "RUNMESH_JIT_SUMMARY_DIR";

    private const int MaxLogLines = 4000;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly IReadOnlyDictionary<string, string> _configuration;
    private Process? _process;

    /// <summary>Whether the process started last logged ASP.NET Core's "Now listening on" line for its own address.</summary>
    private volatile bool _listening;

    /// <summary>Describes a service process; call <see cref="Start"/> to run it.</summary>
    public ServiceProcess(string name, string project, IReadOnlyDictionary<string, string> configuration, int? port = null)
    {
        Name = name;
        Project = project;
        _configuration = configuration;
        Port = port ?? FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The service name, e.g. <c>orchestrator</c> or <c>phase-worker-2</c>.</summary>
    public string Name { get; }

    /// <summary>The project under services/, e.g. <c>Orchestrator</c>.</summary>
    public string Project { get; }

    /// <summary>The loopback port it listens on (kept across restarts).</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:{Port}</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for the service's own endpoints.</summary>
    public HttpClient Http { get; }

    /// <summary>The OS process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Messages of <paramref name="messageType"/> (a contract's name, e.g. <c>ReportReady</c>) its consumers have consumed
    /// so far: MassTransit's consume counter on the service's <c>/metrics</c>, summed over its consumers.
    /// </summary>
    public async Task<double> MessagesConsumedAsync(string messageType)
    {
        var metrics = await Http.GetStringAsync("/metrics");
        return metrics.Split('\n')
            .Where(line => line.StartsWith("messaging_masstransit_consume_", StringComparison.Ordinal) && line.Contains("_total{", StringComparison.Ordinal)
                && line.Contains(messageType, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Starts the process (it is not ready yet: see <see cref="WaitUntilReadyAsync"/>).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running (pid {_process!.Id}).");
        }

        var dll = Path.Combine(RepositoryPaths.Root, "services", Project, "bin", RepositoryPaths.Configuration, "net10.0", $"RunMesh.{Project}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is not built. Build the solution first (dotnet build -c {RepositoryPaths.Configuration}).");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{Port}");
        foreach (var (key, value) in _configuration)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        if (Environment.GetEnvironmentVariable(JitSummaryVariable) is { Length: > 0 } jitSummaryDirectory)
        {
            // Profiling aid: every method the JIT compiles, with its tier, one file per service (docs/benchmarks.md).
            Directory.CreateDirectory(jitSummaryDirectory);
            start.Environment["DOTNET_JitDisasmSummary"] = "1";
            start.Environment["DOTNET_JitStdOutFile"] = Path.Combine(jitSummaryDirectory, $"{Name}.jit.txt");
        }

        _listening = false;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Append($"--- started pid {process.Id}");
    }

    /// <summary>
    /// Waits until this process says it listens on its port and <c>/health/ready</c> answers 200; on timeout the failure
    /// carries the log tail. The listening line matters: without it a 200 could come from another process that took
    /// the port, while this one is failing to bind it.
    /// </summary>
    public Task WaitUntilReadyAsync(TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            async () => IsRunning
                ? _listening && await ReadyAsync()
                : throw new InvalidOperationException($"{Name} exited.{Environment.NewLine}{LogTail()}"),
            timeout ?? TimeSpan.FromSeconds(60),
            $"{Name} to report ready",
            () => LogTail());

    /// <summary>Whether <c>/health/ready</c> answers 200 right now (a service not listening yet is not ready).</summary>
    public async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync("/health/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>SIGKILLs the process (no graceful shutdown) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Append($"--- killed pid {process.Id}");
        }
    }

    /// <summary>Kills the process if it runs, starts it again on the same port and waits until it is ready.</summary>
    public async Task RestartAsync(TimeSpan? readyTimeout = null)
    {
        await KillAsync();
        Start();
        await WaitUntilReadyAsync(readyTimeout);
    }

    /// <summary>The last <paramref name="lines"/> lines the process wrote.</summary>
    public string LogTail(int lines = 60) =>
        $"--- last log lines of {Name}:{Environment.NewLine}{string.Join(Environment.NewLine, _log.TakeLast(lines).Select(Shorten))}";

    /// <summary>Stack traces make single log lines huge; the start of a line says what happened.</summary>
    private static string Shorten(string line) => line.Length <= 400 ? line : string.Concat(line.AsSpan(0, 400), " …");

    /// <summary>Whether any captured log line contains <paramref name="text"/>.</summary>
    public bool LogContains(string text) => _log.Any(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>The captured log lines that contain <paramref name="text"/> (shortened), for a failure message.</summary>
    public string LogLinesContaining(string text) =>
        $"--- log lines of {Name} with '{text}':{Environment.NewLine}" +
        string.Join(Environment.NewLine, _log.Where(line => line.Contains(text, StringComparison.Ordinal)).Select(Shorten));

    /// <summary>Whether one captured log line contains every one of <paramref name="texts"/>.</summary>
    public bool LogLineContains(params string[] texts) =>
        _log.Any(line => texts.All(text => line.Contains(text, StringComparison.Ordinal)));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Http.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.Contains($"Now listening on: {BaseAddress.GetLeftPart(UriPartial.Authority)}", StringComparison.Ordinal))
        {
            _listening = true;
        }

        _log.Enqueue(line);
        while (_log.Count > MaxLogLines && _log.TryDequeue(out _))
        {
        }
    }

    /// <summary>A free loopback port, reserved for this test process until it ends (see <see cref="PortReservations"/>).</summary>
    public static int FreePort() => PortReservations.Reserve();
}
