using System.Diagnostics;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// The shared RabbitMQ and PostgreSQL servers the tests of one process use. Where they come from is one choice,
/// made once per test process:
/// <list type="number">
/// <item><c>RUNMESH_RABBITMQ_URL</c> + <c>RUNMESH_POSTGRES</c> (and <c>RUNMESH_RABBITMQ_MANAGEMENT_URL</c>) when set;</item>
/// <item>else Testcontainers, when a Docker engine answers;</item>
/// <item>else the local server processes of <c>deploy/local/servers.sh</c> (the path CI and these machines use).</item>
/// </list>
/// If none works the tests fail with one message saying how to get servers — they are never skipped.
/// </summary>
public sealed record TestServers(string PostgresAdmin, Uri RabbitMq, Uri RabbitMqManagement, string Source)
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static TestServers? s_current;

    private const string HowToGetServers =
        "No RabbitMQ/PostgreSQL for the tests. Run `deploy/local/servers.sh start` (installs and starts both on this machine), " +
        "or set RUNMESH_POSTGRES, RUNMESH_RABBITMQ_URL and RUNMESH_RABBITMQ_MANAGEMENT_URL, or start a Docker engine for Testcontainers.";

    /// <summary>The servers of this test process, started on first use.</summary>
    public static async Task<TestServers> GetAsync()
    {
        if (s_current is not null)
        {
            return s_current;
        }

        await s_gate.WaitAsync();
        try
        {
            return s_current ??= await ResolveAsync();
        }
        finally
        {
            s_gate.Release();
        }
    }

    private static async Task<TestServers> ResolveAsync()
    {
        if (FromEnvironment(Environment.GetEnvironmentVariable) is { } configured)
        {
            return configured;
        }

        if (DockerEngineAnswers())
        {
            return await FromContainersAsync();
        }

        return await FromLocalScriptsAsync();
    }

    private static TestServers? FromEnvironment(Func<string, string?> env)
    {
        var postgres = env("RUNMESH_POSTGRES");
        var rabbit = env("RUNMESH_RABBITMQ_URL");
        var management = env("RUNMESH_RABBITMQ_MANAGEMENT_URL");
        if (string.IsNullOrWhiteSpace(postgres) || string.IsNullOrWhiteSpace(rabbit))
        {
            return null;
        }

        var rabbitUri = new Uri(rabbit);
        var managementUri = string.IsNullOrWhiteSpace(management)
            ? new Uri($"http://{rabbitUri.UserInfo}@{rabbitUri.Host}:15672")
            : new Uri(management);
        return new TestServers(postgres, rabbitUri, managementUri, "environment");
    }

    private static bool DockerEngineAnswers() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock")
            ? TryRun("docker", "info --format {{.ServerVersion}}", TimeSpan.FromSeconds(10)).ExitCode == 0
            : false;

    private static async Task<TestServers> FromContainersAsync()
    {
        var postgres = new PostgreSqlBuilder("postgres:15").Build();
        var rabbit = new RabbitMqBuilder("rabbitmq:3.13-management").Build();
        await Task.WhenAll(postgres.StartAsync(), rabbit.StartAsync());
        var amqp = new Uri(rabbit.GetConnectionString());
        var management = new UriBuilder("http", rabbit.Hostname, rabbit.GetMappedPublicPort(15672)) { UserName = "rabbitmq", Password = "rabbitmq" }.Uri;
        // Containers live as long as the test process; Testcontainers' reaper removes them afterwards.
        return new TestServers(postgres.GetConnectionString(), amqp, management, "testcontainers");
    }

    private static Task<TestServers> FromLocalScriptsAsync()
    {
        var script = Path.Combine(RepositoryPaths.Root, "deploy", "local", "servers.sh");
        var start = TryRun("bash", $"\"{script}\" start", TimeSpan.FromMinutes(10));
        if (start.ExitCode != 0)
        {
            throw new InvalidOperationException($"{HowToGetServers}{Environment.NewLine}servers.sh start failed:{Environment.NewLine}{start.Output}");
        }

        var env = ServersEnvFile.Read(Path.Combine(StateDirectory, "servers", "servers.env"));
        return Task.FromResult(FromEnvironment(key => env.GetValueOrDefault(key))
            ?? throw new InvalidOperationException($"{HowToGetServers} (servers.env lacks the expected keys)"));
    }

    private static string StateDirectory =>
        Environment.GetEnvironmentVariable("RUNMESH_STATE_DIR") is { Length: > 0 } dir ? dir : Path.Combine(RepositoryPaths.Root, ".runmesh");

    private static (int ExitCode, string Output) TryRun(string file, string arguments, TimeSpan timeout)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{file} {arguments} did not finish within {timeout}");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}

/// <summary>Reads the <c>KEY=value</c> lines written by the deploy scripts (quotes optional).</summary>
public static class ServersEnvFile
{
    /// <summary>Parses <paramref name="path"/>.</summary>
    public static Dictionary<string, string> Read(string path) =>
        File.ReadAllLines(path)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && line.Contains('='))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim().Trim('"', '\''));
}
