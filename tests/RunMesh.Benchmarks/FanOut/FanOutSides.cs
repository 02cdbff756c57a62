using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Benchmarks.Runs;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.FanOut;

/// <summary>
/// Two ways to run N runs of a one-phase mock template (0 ms) on one mesh: a parent run whose only phase is a run
/// phase over N items with <c>maxParallel</c> N, and a client that sends N concurrent <c>POST /api/runs</c> itself
/// (through a gateway without rate limit, like the parent's one POST). Both are timed alike: a stopwatch from just
/// before the first POST until a poller of the orchestrator's <c>runs</c> table — one query every 10 ms on one
/// connection, the same query for both — sees the side's top-level runs Completed. Each side's runs carry a label of
/// their own (children inherit their parent's labels), and every input is new, so nothing is deduplicated.
/// </summary>
internal sealed class FanOutSides(
    MeshHarness mesh, HttpClient client, NpgsqlConnection database, string parentTemplate, string childTemplate, int children) : IAsyncDisposable
{
    private const string Label = "fanout";

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Starts the mesh (one phase worker of 16 executions, so the worker is not what limits either side) and registers
    /// the child template and the parent template over <paramref name="children"/> items.
    /// </summary>
    public static async Task<FanOutSides> StartAsync(int children)
    {
        var mesh = await MeshSystem.StartMeshAsync("bench_fanout", workerConcurrency: 16);
        try
        {
            var client = await MeshSystem.UnthrottledGatewayClientAsync(mesh);
            var (child, childTemplate) = MeshSystem.MockTemplate(phases: 1, latencyMs: 0);
            var parent = $"bench-fanout-{children}";
            await mesh.RegisterTemplatesAsync(childTemplate, ParentTemplate(parent, child, children));
            return new FanOutSides(mesh, client, await mesh.DatabaseOf("orchestrator").OpenAsync(), $"{parent}@1", child, children);
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    /// <summary>The orchestrator's database (for a statement sampler).</summary>
    public string OrchestratorDatabase => mesh.DatabaseOf("orchestrator").Name;

    /// <summary>The parent side: one run whose run phase starts the N children; done when the parent is Completed.</summary>
    public async Task<(SideTiming Timing, ChildEvents Events)> ParentAsync(string round, CancellationToken cancellationToken)
    {
        var label = $"{round}-parent";
        var elapsed = await MeasureAsync(label, 1, async token =>
        {
            var body = MeshRuns.NewRunBody(parentTemplate, Labelled(label));
            body["inputs"]!["items"] = new JsonArray([.. Enumerable.Range(0, children).Select(i => (JsonNode?)$"{label} item {i}")]);
            await MeshSystem.StartRunAsync(client, body, token);
        }, cancellationToken);
        var rows = await RowsAsync(label);
        return (Timing(rows, elapsed), await ChildEventsAsync(rows, cancellationToken));
    }

    /// <summary>The client side: N concurrent starts of the child template; done when all N are Completed.</summary>
    public async Task<SideTiming> ClientAsync(string round, CancellationToken cancellationToken)
    {
        var label = $"{round}-client";
        var elapsed = await MeasureAsync(label, children, token => Task.WhenAll(Enumerable.Range(0, children)
            .Select(_ => MeshSystem.StartRunAsync(client, MeshRuns.NewRunBody(childTemplate, Labelled(label)), token))), cancellationToken);
        return Timing(await RowsAsync(label), elapsed);
    }

    /// <summary>
    /// Times <paramref name="start"/> and the wait until <paramref name="expected"/> top-level runs labelled
    /// <paramref name="label"/> are Completed (the poller starts with the first POST); then waits, untimed, until each
    /// run of the side has its report, so the side's tail (RunFinished → report → ReportReady) does not overlap what comes next.
    /// </summary>
    private async Task<TimeSpan> MeasureAsync(string label, int expected, Func<CancellationToken, Task> start, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var completed = WaitUntilCompletedAsync(label, expected, started, poll.Token);
        try
        {
            await start(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Stop the poller (it shares the database connection) before the error leaves: the mesh's disposal follows.
            Console.Error.WriteLine($"starting the runs labelled {label} failed: {exception.Message}");
            await poll.CancelAsync();
            await completed.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }

        await completed;
        var elapsed = Stopwatch.GetElapsedTime(started);
        await Eventually.UntilAsync(
            async () =>
            {
                await using var command = Query("SELECT count(*) FROM runs WHERE labels @> @labels AND report_url IS NULL", label);
                return (long)(await command.ExecuteScalarAsync())! == 0;
            },
            TimeSpan.FromMinutes(2), $"every run labelled {label} to have its report");
        return elapsed;
    }

    private async Task WaitUntilCompletedAsync(string label, int expected, long started, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(s_poll);
        await using var command = Query(
            "SELECT count(*) FILTER (WHERE state = 'Completed'), count(*) FILTER (WHERE ended_at IS NOT NULL AND state <> 'Completed') " +
            "FROM runs WHERE labels @> @labels AND parent_run_id IS NULL", label);
        do
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (completed, endedOtherwise) = (reader.GetInt64(0), reader.GetInt64(1));
            if (endedOtherwise > 0)
            {
                throw new InvalidOperationException($"{endedOtherwise} run(s) labelled {label} ended other than Completed.");
            }

            if (completed == expected)
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(started) > s_timeout)
            {
                throw new TimeoutException($"{completed} of {expected} runs labelled {label} completed after {s_timeout.TotalMinutes} min.");
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    /// <summary>A query of the orchestrator's database whose <c>@labels</c> is the side's label (jsonb containment, the GIN index's).</summary>
    private NpgsqlCommand Query(string sql, string label)
    {
        var command = new NpgsqlCommand(sql, database);
        command.Parameters.Add(new NpgsqlParameter("labels", NpgsqlDbType.Jsonb) { Value = Labels(label).ToJsonString() });
        return command;
    }

    /// <summary>Every run of the side: the top-level runs (the parent, or the client's N) and the parent's children.</summary>
    private async Task<List<RunRow>> RowsAsync(string label)
    {
        var rows = new List<RunRow>();
        await using var command = Query("SELECT run_id, parent_run_id IS NULL, created_at, ended_at FROM runs WHERE labels @> @labels", label);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new RunRow(reader.GetGuid(0), reader.GetBoolean(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return rows;
    }

    /// <summary>The client's time, and from the rows the N one-phase runs (the children, or the client's N) after the first top-level run was created.</summary>
    private static SideTiming Timing(List<RunRow> rows, TimeSpan elapsed)
    {
        var topLevel = rows.Where(r => r.TopLevel).ToList();
        var onePhaseRuns = rows.Count > topLevel.Count ? rows.Where(r => !r.TopLevel).ToList() : topLevel;
        var origin = topLevel.Min(r => r.Created);
        double After(DateTimeOffset at) => Math.Round((at - origin).TotalMilliseconds, 1);
        return new SideTiming(
            Math.Round(elapsed.TotalMilliseconds, 1), After(onePhaseRuns.Min(r => r.Created)), After(onePhaseRuns.Max(r => r.Created)),
            After(onePhaseRuns.Max(r => r.Ended)), After(topLevel.Max(r => r.Ended)));
    }

    /// <summary>
    /// The parent's <c>child.started</c> and <c>child.finished</c> events (<c>GET /api/runs/{runId}/events</c>), in ms after
    /// <c>run.created</c>, and how long after each child's end its <c>child.finished</c> was recorded.
    /// </summary>
    private async Task<ChildEvents> ChildEventsAsync(List<RunRow> rows, CancellationToken cancellationToken)
    {
        var parent = rows.Single(r => r.TopLevel);
        var page = await client.GetFromJsonAsync<JsonObject>($"/api/runs/{parent.RunId}/events?limit=1000", cancellationToken);
        var events = page!["items"]!.AsArray()
            .Select(e => (Type: e!["type"]!.GetValue<string>(), At: e["at"]!.GetValue<DateTimeOffset>(), Payload: e["payload"]))
            .ToList();
        var created = events.First(e => e.Type == "run.created").At;
        List<double> Of(string type) => [.. events.Where(e => e.Type == type).Select(e => (e.At - created).TotalMilliseconds)];
        var (started, finished) = (Of("child.started"), Of("child.finished"));
        var ended = rows.ToDictionary(r => r.RunId, r => r.Ended);
        List<double> lags = [.. events.Where(e => e.Type == "child.finished")
            .Select(e => (e.At - ended[e.Payload!["childRunId"]!.GetValue<Guid>()]).TotalMilliseconds)];
        return new ChildEvents(
            Math.Round(started.Min(), 1), Math.Round(started.Max(), 1), Math.Round(finished.Max(), 1), Median.Of(lags), Math.Round(lags.Max(), 1));
    }

    private static JsonObject Labels(string label) => new() { [Label] = label };

    private static JsonObject Labelled(string label) => new() { ["labels"] = Labels(label) };

    private static string ParentTemplate(string name, string child, int children) => $$$"""
        name: {{{name}}}
        version: 1
        inputs: { schema: { type: object, required: [items], properties: { items: { type: array, items: { type: string } } } } }
        phases:
          - key: children
            executor: run
            settings: { template: "{{{child}}}", inputs: { feature: "{{item}}" }, forEach: inputs.items, maxParallel: {{{children}}} }
            artifact: { schema: { type: object, required: [items] } }
        """;

    private sealed record RunRow(Guid RunId, bool TopLevel, DateTimeOffset Created, DateTimeOffset Ended);

    public async ValueTask DisposeAsync()
    {
        // Before the mesh: it drops the orchestrator's database.
        await database.DisposeAsync();
        await mesh.DisposeAsync();
    }
}
