using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RunMesh.Hosting.Streaming;
using RunMesh.Planner.Persistence;

namespace RunMesh.Planner.Studies.Api;

/// <summary>
/// <c>GET /api/studies/{studyId}/events/stream</c>: the study's progress as Server-Sent Events (<c>id:</c> seq,
/// <c>event:</c> <c>study.run_started</c> | <c>study.run_finished</c> | <c>study.finished</c>, <c>data:</c>
/// <c>{seq, type, at, payload}</c> with the counts), from after <c>Last-Event-ID</c>; a <c>: heartbeat</c> comment while
/// idle; closed after <c>study.finished</c> when the study has ended (a resumed study's stream goes on to its next end).
/// It polls the study's row (one indexed read) while nothing happens.
/// </summary>
internal sealed class StudyEventStream(Guid studyId, long lastEventId) : IResult
{
    private const int BatchSize = 500;
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_heartbeat = TimeSpan.FromSeconds(15);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var db = httpContext.RequestServices.GetRequiredService<PlannerDbContext>();
        var clock = httpContext.RequestServices.GetRequiredService<TimeProvider>();
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        if (!ServerSentEvents.Prepare(httpContext))
        {
            return;
        }

        var last = lastEventId;
        try
        {
            await response.StartAsync(cancellationToken);
            var lastWrite = clock.GetTimestamp();
            while (true)
            {
                var head = await db.Studies.AsNoTracking().Where(s => s.CorrelationId == studyId)
                    .Select(s => new { s.EventSeq, s.EndedAt }).SingleOrDefaultAsync(cancellationToken);
                if (head is null)
                {
                    return;
                }

                if (head.EventSeq > last)
                {
                    var events = await db.StudyEvents.AsNoTracking()
                        .Where(e => e.StudyId == studyId && e.Seq > last && e.Seq <= head.EventSeq)
                        .OrderBy(e => e.Seq).Take(BatchSize).ToListAsync(cancellationToken);
                    foreach (var item in events)
                    {
                        var data = new JsonObject { ["seq"] = item.Seq, ["type"] = item.Type, ["at"] = item.At, ["payload"] = item.Payload.DeepClone() };
                        await response.WriteAsync($"id: {item.Seq}\nevent: {item.Type}\ndata: {data.ToJsonString()}\n\n", cancellationToken);
                        last = item.Seq;
                    }

                    await response.Body.FlushAsync(cancellationToken);
                    lastWrite = clock.GetTimestamp();
                    if (events.Count == BatchSize)
                    {
                        continue;
                    }
                }

                if (head.EndedAt is not null && last >= head.EventSeq)
                {
                    return;
                }

                if (clock.GetElapsedTime(lastWrite) >= s_heartbeat)
                {
                    await response.WriteAsync(": heartbeat\n\n", cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    lastWrite = clock.GetTimestamp();
                }

                await Task.Delay(s_poll, clock, cancellationToken);
            }
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }
}
