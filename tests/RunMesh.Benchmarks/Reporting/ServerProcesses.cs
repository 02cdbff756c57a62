using System.Text.Json;
using Npgsql;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Reporting;

/// <summary>The OS processes of the PostgreSQL server and the RabbitMQ node, when they run on this machine.</summary>
internal static class ServerProcesses
{
    /// <summary>The PostgreSQL server's postmaster (first line of <c>postmaster.pid</c> in its data directory), when readable here.</summary>
    public static async Task<int?> PostmasterIdAsync(TestServers servers)
    {
        await using var connection = new NpgsqlConnection(servers.PostgresAdmin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW data_directory", connection);
        var pidFile = Path.Combine((string)(await command.ExecuteScalarAsync())!, "postmaster.pid");
        try
        {
            return int.TryParse((await File.ReadAllLinesAsync(pidFile)).FirstOrDefault(), out var pid) ? pid : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // A server on another host or in a container: its CPU is not ours to read.
        }
    }

    /// <summary>The RabbitMQ node's OS process (the management API's <c>os_pid</c>).</summary>
    public static async Task<int?> BrokerNodeIdAsync(HttpClient management)
    {
        using var nodes = JsonDocument.Parse(await management.GetStringAsync("api/nodes"));
        return nodes.RootElement.EnumerateArray()
            .Select(n => n.TryGetProperty("os_pid", out var pid) && int.TryParse(pid.GetString(), out var id) ? id : (int?)null)
            .FirstOrDefault(pid => pid is not null);
    }
}
