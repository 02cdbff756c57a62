using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RunMesh.Hosting.Streaming;

/// <summary>The response of a Server-Sent Events endpoint (runs' and studies' event streams).</summary>
public static class ServerSentEvents
{
    /// <summary>
    /// Makes <paramref name="context"/>'s response an event stream: 200, <c>text/event-stream</c>, not cached, not
    /// buffered by a proxy (<c>X-Accel-Buffering: no</c>) or by the server.
    /// </summary>
    public static void Prepare(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}
