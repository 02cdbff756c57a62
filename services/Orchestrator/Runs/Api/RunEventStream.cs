using System.Text.Json;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Streaming;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>
/// <c>GET /api/runs/{runId}/events/stream</c>: the run's events as Server-Sent Events (<c>id:</c> seq, <c>event:</c> type,
/// <c>data:</c> the event JSON) from after <c>Last-Event-ID</c>, a <c>: heartbeat</c> comment while idle, closed after
/// the run's terminal event. The stream is woken by <see cref="RunEventSignals"/> (Postgres <c>LISTEN/NOTIFY</c>, which
/// sees what any orchestrator replica appended) and then reads the new events; it polls only while notifications are
/// down, plus a slow safety read. A client that goes away ends the loop quietly.
/// </summary>
internal sealed class RunEventStream(Guid runId, long lastEventId, RunStreamOptions options) : IResult
{
    private const int BatchSize = 200;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var db = services.GetRequiredService<OrchestratorDbContext>();
        var clock = services.GetRequiredService<TimeProvider>();
        var signals = services.GetRequiredService<RunEventSignals>();
        var json = services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;

        if (!ServerSentEvents.Prepare(httpContext))
        {
            return;
        }

        var heartbeat = TimeSpan.FromSeconds(options.SseHeartbeatSeconds);
        var poll = TimeSpan.FromMilliseconds(options.SsePollMilliseconds);
        var safetyPoll = TimeSpan.FromSeconds(options.SseSafetyPollSeconds);
        var last = lastEventId;
        // Subscribed before the first read: an append between a read and the wait leaves a pulse behind.
        using var subscription = signals.Subscribe(runId);
        try
        {
            await response.StartAsync(cancellationToken);
            var lastWrite = clock.GetTimestamp();
            while (true)
            {
                // The head is read before the events: the events committed with that state are then all visible.
                var head = await RunEventLog.HeadAsync(db, runId, cancellationToken);
                if (head is null)
                {
                    return;
                }

                // Nothing new and not terminal: the cheap head read is all a poll costs.
                if (head.EventSeq > last || RunStates.IsTerminal(head.State))
                {
                    var end = await RunEventLog.EndAsync(db, runId, head, cancellationToken);
                    var events = await RunEventLog.ReadAsync(db, runId, last, end.TerminalSeq, BatchSize, cancellationToken);
                    foreach (var item in events)
                    {
                        await response.WriteAsync($"id: {item.Seq}\nevent: {item.Type}\ndata: {JsonSerializer.Serialize(item, json)}\n\n", cancellationToken);
                        last = item.Seq;
                    }

                    if (events.Count > 0)
                    {
                        await response.Body.FlushAsync(cancellationToken);
                        lastWrite = clock.GetTimestamp();
                    }

                    if (events.Count == BatchSize)
                    {
                        continue;
                    }

                    if (end.Terminal && (end.TerminalSeq is null || last >= end.TerminalSeq))
                    {
                        return;
                    }
                }

                if (clock.GetElapsedTime(lastWrite) >= heartbeat)
                {
                    await response.WriteAsync(": heartbeat\n\n", cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    lastWrite = clock.GetTimestamp();
                }

                var untilHeartbeat = heartbeat - clock.GetElapsedTime(lastWrite);
                untilHeartbeat = untilHeartbeat > TimeSpan.Zero ? untilHeartbeat : TimeSpan.FromMilliseconds(1);
                var wait = signals.IsListening ? safetyPoll : poll;
                await subscription.WaitAsync(untilHeartbeat < wait ? untilHeartbeat : wait, cancellationToken);
            }
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is OperationCanceledException or IOException)
        {
            // The client went away: nothing to report.
        }
    }
}
