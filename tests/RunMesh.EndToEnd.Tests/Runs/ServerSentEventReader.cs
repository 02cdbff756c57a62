using System.Globalization;
using System.Text;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>One Server-Sent Event as the tests see it.</summary>
internal sealed record ServerSentEvent(long Id, string Type, string Data);

/// <summary>Reads Server-Sent Events off a response body (comments such as heartbeats are counted, not returned).</summary>
internal sealed class ServerSentEventReader(Stream body) : IDisposable
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    /// <summary>How many comment lines (<c>: heartbeat</c>) were read.</summary>
    public int Comments { get; private set; }

    public void Dispose() => _reader.Dispose();

    /// <summary>The next event, or null when the server closed the stream.</summary>
    public async Task<ServerSentEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        string? id = null, type = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (id is not null || data.Length > 0)
                {
                    return new ServerSentEvent(long.Parse(id ?? "0", CultureInfo.InvariantCulture), type ?? "message", data.ToString());
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                Comments++;
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data.Append(data.Length > 0 ? "\n" : "").Append(value);
                    break;
            }
        }

        return null;
    }
}
