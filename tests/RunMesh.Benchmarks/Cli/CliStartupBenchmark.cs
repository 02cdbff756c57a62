using System.Diagnostics;
using System.Globalization;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Benchmarks.Runs;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Cli;

/// <summary>
/// The CLI's start-up as a person feels it (docs/cli.md, "Start-up time"): the wall time of <c>runmesh runs list</c>
/// against a warm mesh, from process start to exit, over N invocations one after another — the median is the figure
/// (target below <see cref="TargetMilliseconds"/> ms). The tool measured is the one the README installs: packed and
/// installed with <c>dotnet tool install</c> into a directory of its own, unless <c>--runmesh</c> names another.
/// </summary>
internal static class CliStartupBenchmark
{
    public const double TargetMilliseconds = 400;

    public static async Task<int> RunAsync(CliStartupSettings settings, CancellationToken cancellationToken)
    {
        Console.WriteLine($"cli benchmark: wall time of `runmesh runs list`, {settings.Invocations} invocations after {settings.Warmup} unmeasured");
        Console.WriteLine($"machine: {MachineInfo.Now()}");
        var runmesh = settings.Runmesh ?? await InstallAsync(cancellationToken);
        Console.WriteLine($"runmesh: {runmesh}");

        MeshHarness? mesh = null;
        try
        {
            string url, key;
            if (settings.Url is not null)
            {
                (url, key) = (settings.Url, settings.Key!);
            }
            else
            {
                Console.WriteLine("starting the mesh on fresh databases and a fresh vhost…");
                mesh = await MeshSystem.StartMeshAsync("bench_cli", workerConcurrency: 4);
                var (template, text) = MeshSystem.MockTemplate(phases: 1, latencyMs: 0);
                await mesh.RegisterTemplatesAsync(text);
                // A page with rows: the table is part of what is measured.
                var runs = new List<Guid>();
                for (var i = 0; i < settings.Runs; i++)
                {
                    runs.Add(await mesh.StartRunAsync(template));
                }

                foreach (var run in runs)
                {
                    await mesh.WaitForRunStateAsync(run, "completed");
                }

                (url, key) = (mesh.Gateway.BaseAddress.ToString(), mesh.ApiKey("viewer"));
            }

            string[] arguments = ["runs", "list", "--url", url, "--key", key];
            // Warm the mesh's side (the gateway's and orchestrator's JIT past its tiers, connection pools), then time the
            // same request from this warm process: the part of each invocation that is the mesh's, not the CLI's.
            var requests = new List<double>();
            using (var client = new HttpClient { BaseAddress = new Uri(url) })
            {
                client.DefaultRequestHeaders.Add("X-Api-Key", key);
                for (var i = 0; i < 300 + settings.Invocations; i++)
                {
                    var request = Stopwatch.StartNew();
                    (await client.GetAsync("/api/runs", cancellationToken)).EnsureSuccessStatusCode();
                    if (i >= 300)
                    {
                        requests.Add(request.Elapsed.TotalMilliseconds);
                    }
                }
            }

            for (var i = 0; i < settings.Warmup; i++)
            {
                await InvokeAsync(runmesh, arguments, cancellationToken);
            }

            var loadBefore = MachineInfo.LoadAverageNow();
            var times = new List<double>();
            for (var i = 0; i < settings.Invocations; i++)
            {
                times.Add(await InvokeAsync(runmesh, arguments, cancellationToken));
            }

            var loadAfter = MachineInfo.LoadAverageNow();
            var median = Median.Of(times, digits: 0);
            Console.WriteLine(string.Join(' ', times.Select(t => t.ToString("F0", CultureInfo.InvariantCulture))));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"runmesh runs list: median {median:F0} ms (min {times.Min():F0}, max {times.Max():F0}) over {times.Count}; "
                + $"target below {TargetMilliseconds:F0} ms; load average {loadBefore ?? "n/a"} before, {loadAfter ?? "n/a"} after"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"the same GET /api/runs from a warm client (the mesh's share of it): median {Median.Of(requests, digits: 0):F0} ms"));
            await ResultsFile.WriteAsync(settings.Out, new
            {
                command = "runmesh runs list",
                runmesh,
                medianMs = median,
                minMs = times.Min(),
                maxMs = times.Max(),
                timesMs = times,
                warmRequestMedianMs = Median.Of(requests, digits: 0),
                targetMs = TargetMilliseconds,
                loadAverageBefore = loadBefore,
                loadAverageAfter = loadAfter,
                machine = MachineInfo.Now().ToString(),
            });
            return 0;
        }
        finally
        {
            if (mesh is not null)
            {
                await mesh.DisposeAsync();
            }
        }
    }

    /// <summary>One invocation's wall time in milliseconds, from process start to exit with its output read; it must succeed.</summary>
    private static async Task<double> InvokeAsync(string runmesh, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(runmesh) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{runmesh} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await Task.WhenAll(output, errors);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        return process.ExitCode == 0
            ? elapsed
            : throw new InvalidOperationException($"runmesh {string.Join(' ', arguments.Take(2))} exited {process.ExitCode}: {await errors}");
    }

    /// <summary>Packs clients/Cli and installs it as the README does, into a fresh directory; the path of its <c>runmesh</c>.</summary>
    private static async Task<string> InstallAsync(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("runmesh-bench-cli-").FullName;
        var version = $"0.0.0-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
        Console.WriteLine($"packing clients/Cli and installing it in {directory}/bin…");
        await DotnetAsync(["pack", Path.Combine(RepositoryPaths.Root, "clients", "Cli"), "-c", "Release", "-o", Path.Combine(directory, "packages"),
            $"-p:Version={version}", "-nologo", "-v:q"], cancellationToken);
        await DotnetAsync(["tool", "install", "RunMesh.Cli", "--tool-path", Path.Combine(directory, "bin"), "--version", version,
            "--add-source", Path.Combine(directory, "packages")], cancellationToken);
        return Path.Combine(directory, "bin", "runmesh");
    }

    private static async Task DotnetAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}:\n{await output}\n{await errors}");
        }
    }
}
