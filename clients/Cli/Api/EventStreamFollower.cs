using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Cli.Api;

/// <summary>One Server-Sent Event: its <c>id:</c>, <c>event:</c>, the <c>data:</c> text and that text parsed.</summary>
internal sealed record StreamEvent(long Id, string Type, string Data, JsonObject Json);

/// <summary>
/// Follows an SSE stream of the API (<c>/api/runs/{runId}/events/stream</c>, <c>/api/studies/{studyId}/events/stream</c>) to its
/// end. When the connection drops (or stays silent past three heartbeats) it reconnects with <c>Last-Event-ID</c> set
/// to the last event it handed out, and drops any event at or below that id, so each event is handed out once and
/// none is missed. When the server closes the stream, <c>isFinished</c> decides whether that was the end (the run or
/// study is terminal) or whether to reconnect (a retried run continues).
/// </summary>
internal sealed class EventStreamFollower(MeshClient client, string path)
{
    private static readonly TimeSpan s_silenceLimit = TimeSpan.FromSeconds(50);
    private static readonly TimeSpan s_reconnectGiveUp = TimeSpan.FromSeconds(60);

    /// <summary>The id of the last event handed out (0 before the first).</summary>
    public long LastEventId { get; private set; }

    /// <summary>How often the stream was opened again after a drop.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Told each time the stream dropped and is opened again (with the last event id), for a note on stderr.</summary>
    public Action<long>? OnReconnect { get; init; }

    /// <summary>Follows the stream until the server ends it and <paramref name="isFinished"/> agrees.</summary>
    public async Task FollowAsync(Func<StreamEvent, Task> onEvent, Func<CancellationToken, Task<bool>> isFinished, CancellationToken cancellationToken)
    {
        var failingSince = (DateTimeOffset?)null;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            bool ended;
            try
            {
                ended = await ReadOnceAsync(onEvent, cancellationToken);
                failingSince = null;
                delay = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested
                && exception is IOException or HttpRequestException or MeshUnreachableException or OperationCanceledException
                    or MeshApiException { Status: HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout })
            {
                failingSince ??= DateTimeOffset.UtcNow;
                if (DateTimeOffset.UtcNow - failingSince > s_reconnectGiveUp)
                {
                    throw exception as MeshUnreachableException
                        ?? new MeshUnreachableException(client.Connection.Url, $"the event stream kept failing ({exception.Message})");
                }

                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                Reconnects++;
                OnReconnect?.Invoke(LastEventId);
                continue;
            }

            if (ended && await isFinished(cancellationToken))
            {
                return;
            }

            Reconnects++;
        }
    }

    /// <summary>Reads one connection to its end: true when the server closed it (or answered 204), false never.</summary>
    private async Task<bool> ReadOnceAsync(Func<StreamEvent, Task> onEvent, CancellationToken cancellationToken)
    {
        using var response = await client.OpenStreamAsync(path, LastEventId, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return true;
        }

        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(s_silenceLimit);
        await using var body = await response.Content.ReadAsStreamAsync(silence.Token);
        using var reader = new StreamReader(body);
        long? id = null;
        string? type = null;
        var data = new List<string>();
        while (true)
        {
            var line = await reader.ReadLineAsync(silence.Token);
            if (line is null)
            {
                return true;
            }

            silence.CancelAfter(s_silenceLimit);
            if (line.Length == 0)
            {
                if (data.Count > 0 && id is { } seq && seq > LastEventId)
                {
                    var text = string.Join('\n', data);
                    var json = JsonNode.Parse(text) as JsonObject
                        ?? throw new JsonException($"event {seq} is not a JSON object");
                    await onEvent(new StreamEvent(seq, type ?? "message", text, json));
                    LastEventId = seq;
                }

                id = null;
                type = null;
                data.Clear();
                continue;
            }

            if (line.StartsWith(':'))
            {
                continue; // a heartbeat comment
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed):
                    id = parsed;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
            }
        }
    }
}
