using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using RunMesh.Hosting.Requests;

namespace RunMesh.Hosting.Streaming;

/// <summary>The response of a Server-Sent Events endpoint (runs' and studies' event streams).</summary>
public static class ServerSentEvents
{
    /// <summary>
    /// Makes <paramref name="context"/>'s response an event stream: 200, <c>text/event-stream</c>, not cached, not
    /// buffered by a proxy (<c>X-Accel-Buffering: no</c>) or by the server. Returns whether events are to follow: a
    /// <c>HEAD</c> request gets these headers alone (<see cref="HeadRequests"/>), not a stream that never ends.
    /// </summary>
    public static bool Prepare(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return !HeadRequests.IsHead(context);
    }
}
