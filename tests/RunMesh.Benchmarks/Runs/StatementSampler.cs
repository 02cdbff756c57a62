using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// A sampling profile of one database from the server's side (pg_stat_statements is not loaded on the shared
/// server): every 10 ms, what each of the database's non-idle backends is doing — its state (active, idle in
/// transaction), wait event and statement. Counts per statement show where the database time of a run goes and how
/// long connections sit in a transaction waiting for the client.
/// </summary>
internal sealed partial class StatementSampler : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly string _database;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private int _samples;

    private StatementSampler(NpgsqlConnection connection, string database)
    {
        _connection = connection;
        _database = database;
        _loop = Task.Run(SampleAsync);
    }

    public static async Task<StatementSampler> StartAsync(string adminConnectionString, string database)
    {
        var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        return new StatementSampler(connection, database);
    }

    /// <summary>Stops sampling; returns the most frequent (state · wait · statement) with the average number of backends in it.</summary>
    public async Task<List<SampledStatement>> StopAsync(int top = 15)
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        return _counts.OrderByDescending(c => c.Value).Take(top)
            .Select(c => new SampledStatement(c.Key, Math.Round(c.Value / (double)Math.Max(1, _samples), 3)))
            .ToList();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        await using var command = new NpgsqlCommand(
            "SELECT state, coalesce(wait_event, ''), query FROM pg_stat_activity WHERE datname = @db AND state IS NOT NULL AND state <> 'idle' AND pid <> pg_backend_pid()",
            _connection);
        command.Parameters.AddWithValue("db", _database);
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            _samples++;
            await using var reader = await command.ExecuteReaderAsync(_stop.Token);
            while (await reader.ReadAsync(_stop.Token))
            {
                var statement = Whitespace().Replace(reader.GetString(2), " ").Trim();
                var key = $"{reader.GetString(0)} · {reader.GetString(1)} · {(statement.Length > 110 ? statement[..110] + "…" : statement)}";
                _counts[key] = _counts.GetValueOrDefault(key) + 1;
            }
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    public async ValueTask DisposeAsync()
    {
        _stop.Dispose();
        await _connection.DisposeAsync();
    }
}

/// <summary>A (state · wait event · statement) and how many backends were in it on average.</summary>
internal sealed record SampledStatement(string What, double AverageBackends)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{AverageBackends,6:F3}  {What}");
}
