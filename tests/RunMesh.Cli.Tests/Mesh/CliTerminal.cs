using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace RunMesh.Cli.Tests.Mesh;

/// <summary>
/// The built <c>runmesh.dll</c> run on a real pseudo-terminal, as a person at a terminal runs it: util-linux
/// <c>script</c> (Debian's bsdutils, always installed) gives it a terminal of 120 columns, the test reads what it draws
/// (ANSI codes included) and types into it.
/// </summary>
public sealed partial class CliTerminal : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _screen = new();
    private readonly Task _reading;

    private CliTerminal(IEnumerable<string> arguments, string? workingDirectory)
    {
        var command = $"stty cols 120 rows 50; exec dotnet {Quote(CliProcess.Dll)} {string.Join(' ', arguments.Select(Quote))}";
        var start = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("runmesh-cli-tty-").FullName,
        };
        // -q: no start and end notes; -e: script exits with the command's exit code; the typescript file is not wanted.
        foreach (var argument in new[] { "-q", "-e", "-c", command, "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("RUNMESH_", StringComparison.Ordinal) || k == "NO_COLOR").ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["TERM"] = "xterm-256color";
        _process = Process.Start(start) ?? throw new InvalidOperationException("script did not start.");
        _reading = ReadAsync();
    }

    /// <summary>Everything drawn so far, ANSI codes included.</summary>
    public string Screen
    {
        get
        {
            lock (_screen)
            {
                return _screen.ToString();
            }
        }
    }

    /// <summary>Runs <c>runmesh</c> with <paramref name="arguments"/> on a new pseudo-terminal, in <paramref name="workingDirectory"/> (a fresh one by default).</summary>
    public static CliTerminal Start(IEnumerable<string> arguments, string? workingDirectory = null) => new(arguments, workingDirectory);

    /// <summary>Waits until the screen shows <paramref name="text"/>.</summary>
    public Task WaitForTextAsync(string text, int timeoutSeconds = 90) =>
        Eventually.UntilAsync(
            () => Task.FromResult(Screen.Contains(text, StringComparison.Ordinal) || _process.HasExited),
            TimeSpan.FromSeconds(timeoutSeconds), $"the terminal to show '{text}'", () => Plain(Screen));

    /// <summary>Types keys into the terminal (<c>\r</c> is Enter).</summary>
    public void Type(string keys)
    {
        _process.StandardInput.Write(keys);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the exit (killing the process past the timeout); the exit code and the whole screen.</summary>
    public async Task<(int ExitCode, string Screen)> WaitForExitAsync(int timeoutSeconds = 120)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await _reading.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"runmesh did not exit within {timeoutSeconds} s.{Environment.NewLine}{Plain(Screen)}");
        }

        return (_process.ExitCode, Screen);
    }

    /// <summary>The screen's text without ANSI escape sequences.</summary>
    public static string Plain(string screen) => Escape().Replace(screen, "");

    /// <summary>What is drawn after the last cursor movement up: the live view's last frame and what follows it.</summary>
    public static string LastFrame(string screen)
    {
        var moves = CursorUp().Matches(screen);
        return Plain(moves.Count == 0 ? screen : screen[(moves[^1].Index + moves[^1].Length)..]);
    }

    /// <summary>How often the cursor was moved up to redraw (<c>ESC [ n A</c>).</summary>
    public static int Redraws(string screen) => CursorUp().Count(screen);

    private async Task ReadAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            lock (_screen)
            {
                _screen.Append(buffer, 0, read);
            }
        }
    }

    private static string Quote(string argument) => $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")]
    private static partial Regex Escape();

    [GeneratedRegex(@"\x1b\[\d*A")]
    private static partial Regex CursorUp();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
