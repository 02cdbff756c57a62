using System.Collections.Concurrent;
using Npgsql;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// One poller for every run in flight: every 20 ms one query asks the orchestrator's <c>runs</c> table which of the
/// awaited runs are terminal, instead of a loop per run. Its queries are counted, so the profile can take them out
/// of the database's transaction count.
/// </summary>
internal sealed class RunCompletions : IAsyncDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(20);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> _awaited = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _queries;

    private RunCompletions(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _loop = Task.Run(PollAsync);
    }

    /// <summary>Queries sent so far (each one autocommit transaction on the orchestrator's database).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    public static Task<RunCompletions> StartAsync(string connectionString) =>
        Task.FromResult(new RunCompletions(NpgsqlDataSource.Create(connectionString)));

    /// <summary>The run's terminal state name, once the poller sees it.</summary>
    public Task<string> WaitAsync(Guid runId, CancellationToken cancellationToken) =>
        _awaited.GetOrAdd(runId, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously))
            .Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(s_interval);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            if (_awaited.IsEmpty)
            {
                continue;
            }

            try
            {
                await using var command = _dataSource.CreateCommand(
                    "SELECT run_id, state FROM runs WHERE run_id = ANY(@ids) AND state IN ('Completed', 'Failed', 'Aborted', 'Cancelled')");
                command.Parameters.AddWithValue("ids", _awaited.Keys.ToArray());
                Interlocked.Increment(ref _queries);
                await using var reader = await command.ExecuteReaderAsync(_stop.Token);
                while (await reader.ReadAsync(_stop.Token))
                {
                    if (_awaited.TryRemove(reader.GetGuid(0), out var awaited))
                    {
                        awaited.TrySetResult(reader.GetString(1));
                    }
                }
            }
            catch (NpgsqlException ex)
            {
                Console.Error.WriteLine($"completion poll failed: {ex.Message}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        await _dataSource.DisposeAsync();
    }
}
