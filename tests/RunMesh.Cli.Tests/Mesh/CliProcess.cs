using System.Collections.Concurrent;
using System.Diagnostics;

namespace RunMesh.Cli.Tests.Mesh;

/// <summary>
/// The built <c>runmesh.dll</c> run as a child process, as a user or a script would run it: stdout redirected (so the
/// CLI prints plain lines), no <c>RUNMESH_*</c> variable inherited from the test, and a working directory of its own.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("RUNMESH_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Receive(e.Data, _stdout, _stdoutClosed);
        _process.ErrorDataReceived += (_, e) => Receive(e.Data, _stderr, _stderrClosed);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The built <c>runmesh.dll</c> of the tests' configuration.</summary>
    public static string Dll
    {
        get
        {
            var dll = Path.Combine(RepositoryPaths.Root, "clients", "Cli", "bin", RepositoryPaths.Configuration, "net10.0", "runmesh.dll");
            return File.Exists(dll)
                ? dll
                : throw new FileNotFoundException($"{dll} is not built. Build the solution first (dotnet build -c {RepositoryPaths.Configuration}).");
        }
    }

    /// <summary>The lines printed to stdout so far.</summary>
    public IReadOnlyList<string> Stdout => [.. _stdout];

    /// <summary>The lines printed to stderr so far.</summary>
    public IReadOnlyList<string> Stderr => [.. _stderr];

    /// <summary>Starts <c>runmesh</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/> (a fresh temporary directory by default).</summary>
    public static CliProcess Start(IEnumerable<string> arguments, string? workingDirectory = null) =>
        new(arguments, workingDirectory ?? Directory.CreateTempSubdirectory("runmesh-cli-").FullName);

    /// <summary>Runs <c>runmesh</c> to its exit.</summary>
    public static async Task<CliResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null, int timeoutSeconds = 120)
    {
        using var cli = Start(arguments, workingDirectory);
        return await cli.WaitForExitAsync(timeoutSeconds);
    }

    /// <summary>Waits until a line of stdout matches <paramref name="match"/>.</summary>
    public Task WaitForLineAsync(Func<string, bool> match, string what, int timeoutSeconds = 90) =>
        Eventually.UntilAsync(() => Task.FromResult(_stdout.Any(match) || _process.HasExited), TimeSpan.FromSeconds(timeoutSeconds), what, Transcript);

    /// <summary>Waits for the exit (killing the process past the timeout) and returns what it printed.</summary>
    public async Task<CliResult> WaitForExitAsync(int timeoutSeconds = 120)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"runmesh did not exit within {timeoutSeconds} s.{Environment.NewLine}{Transcript()}");
        }

        return new CliResult(_process.ExitCode, [.. _stdout], [.. _stderr]);
    }

    private string Transcript() =>
        $"stdout:{Environment.NewLine}{string.Join(Environment.NewLine, _stdout)}{Environment.NewLine}stderr:{Environment.NewLine}{string.Join(Environment.NewLine, _stderr)}";

    private static void Receive(string? line, ConcurrentQueue<string> lines, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            lines.Enqueue(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}

/// <summary>What a finished <c>runmesh</c> process left: its exit code and the lines it printed.</summary>
public sealed record CliResult(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)
{
    /// <summary>Stdout as one text.</summary>
    public string Output => string.Join('\n', Stdout);

    /// <summary>Everything printed, for assertion messages.</summary>
    public override string ToString() =>
        $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{string.Join('\n', Stderr)}";
}
