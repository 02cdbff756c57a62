using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace RunMesh.Reliability.Tests.Load;

/// <summary>
/// Submits runs through the gateway as a client would, a bounded number at a time, and waits until they have
/// settled. Every start carries its own <c>Idempotency-Key</c>, so a start whose answer was lost to a fault (a
/// 502 while the orchestrator is down, a 500 while its database restarts, a reset connection) is simply sent again
/// and still makes one run.
/// </summary>
public sealed class LoadDriver(MeshHarness mesh)
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(180);

    private readonly HttpClient _submitter = mesh.GatewayClient("submitter");
    private readonly ConcurrentQueue<SubmittedRun> _runs = new();
    private int _retriedStarts;

    /// <summary>The runs accepted so far, in no particular order.</summary>
    public IReadOnlyCollection<SubmittedRun> Runs => _runs;

    /// <summary>How many start requests had to be sent again (their first answer was an error or never came).</summary>
    public int RetriedStarts => _retriedStarts;

    /// <summary>Submits <paramref name="count"/> runs (templates by <see cref="ReliabilityTemplates.ForRun"/>), at most <paramref name="inFlight"/> requests at once.</summary>
    public async Task SubmitAsync(int count, int inFlight)
    {
        using var slots = new SemaphoreSlim(inFlight);
        var starts = Enumerable.Range(0, count).Select(async index =>
        {
            await slots.WaitAsync();
            try
            {
                await StartAsync(ReliabilityTemplates.ForRun(index));
            }
            finally
            {
                slots.Release();
            }
        });
        await Task.WhenAll(starts);
    }

    /// <summary>Starts one run of <paramref name="template"/>, sending the same request again until the mesh answers it.</summary>
    public async Task<SubmittedRun> StartAsync(string template)
    {
        var body = MeshRuns.NewRunBody(template).ToJsonString();
        var idempotencyKey = Guid.NewGuid().ToString();
        var attempts = 0;
        Guid? runId = null;
        string? last = null;
        await Eventually.UntilAsync(
            async () =>
            {
                if (attempts++ > 0)
                {
                    Interlocked.Increment(ref _retriedStarts);
                }

                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs")
                {
                    Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var response = await _submitter.SendAsync(request);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    runId = Guid.Parse(JsonNode.Parse(last[4..])!["runId"]!.GetValue<string>());
                    return true;
                }

                // 409: the first copy of this request is still in progress; 429/5xx: a fault is being injected.
                return (int)response.StatusCode is 409 or 429 or >= 500
                    ? false
                    : throw new InvalidOperationException($"starting a run of {template}: {last}");
            },
            s_startTimeout,
            $"the gateway to accept a run of {template}",
            () => $"last answer: {last}{Environment.NewLine}{mesh.LogTails(15)}");

        var run = new SubmittedRun(runId!.Value, template, ReliabilityTemplates.ExpectedState(template));
        _runs.Enqueue(run);
        return run;
    }

    /// <summary>
    /// Waits until every run is in a terminal state and has its report (its <c>reportUrl</c> is set), reading the
    /// orchestrator's table (a read that fails while a server restarts is simply tried again).
    /// </summary>
    public async Task WaitUntilSettledAsync(IReadOnlyCollection<SubmittedRun> runs, TimeSpan timeout)
    {
        var ids = runs.Select(r => r.RunId).ToArray();
        long settled = 0;
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    settled = await mesh.ScalarAsync<long>(
                        "orchestrator",
                        "SELECT count(*) FROM runs WHERE run_id = ANY(@ids) AND state IN ('Completed','Failed','Aborted','Cancelled') AND report_url IS NOT NULL",
                        ("ids", ids));
                    return settled == ids.Length;
                }
                catch (NpgsqlException)
                {
                    return false;
                }
            },
            timeout,
            $"{ids.Length} runs to end and get their reports",
            () => $"{settled} of {ids.Length} settled{Environment.NewLine}{mesh.LogTails(25)}");
    }

    /// <summary>Each run's state as <c>GET /api/runs/{runId}</c> shows it to a viewer.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> StatesAsync(IReadOnlyCollection<SubmittedRun> runs)
    {
        var viewer = mesh.GatewayClient("viewer");
        var states = new ConcurrentDictionary<Guid, string>();
        using var slots = new SemaphoreSlim(8);
        await Task.WhenAll(runs.Select(async run =>
        {
            await slots.WaitAsync();
            try
            {
                var body = await viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{run.RunId}");
                states[run.RunId] = body!["state"]!.GetValue<string>();
            }
            catch (HttpRequestException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                states[run.RunId] = "not found";
            }
            finally
            {
                slots.Release();
            }
        }));
        return states;
    }
}
