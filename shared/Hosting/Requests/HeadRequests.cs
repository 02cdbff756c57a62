using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RunMesh.Hosting.Requests;

/// <summary>
/// <c>HEAD</c> on every <c>GET</c> route (RFC 9110 §9.3.2): the request is routed and answered as the <c>GET</c> it
/// mirrors — same status, same headers — and what the endpoint writes as the body is dropped. Endpoints are mapped
/// for <c>GET</c> only, so the API documents list each operation once. An endpoint that would stream without end
/// (Server-Sent Events) asks <see cref="IsHead"/> and answers with its headers alone.
/// </summary>
public static class HeadRequests
{
    /// <summary>Answers <c>HEAD</c> requests as <c>GET</c> without a body; must come before routing.</summary>
    public static IApplicationBuilder UseHeadRequests(this IApplicationBuilder app) => app.UseMiddleware<HeadRequestMiddleware>();

    /// <summary>Whether the request being answered as a <c>GET</c> came as a <c>HEAD</c>.</summary>
    public static bool IsHead(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<HeadRequestFeature>() is not null;
    }
}

/// <summary>Marks a request that came as <c>HEAD</c>.</summary>
internal sealed class HeadRequestFeature;

internal sealed class HeadRequestMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await next(context);
            return;
        }

        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        context.Features.Set<IHttpResponseBodyFeature>(new DroppedBody(body));
        context.Features.Set(new HeadRequestFeature());
        context.Request.Method = HttpMethods.Get;
        try
        {
            await next(context);
        }
        finally
        {
            context.Request.Method = HttpMethods.Head;
            context.Features.Set(body);
        }
    }

    /// <summary>A response body that goes nowhere; starting and completing the response still reach the server.</summary>
    private sealed class DroppedBody(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
    {
        private PipeWriter? _writer;

        public Stream Stream => Stream.Null;

        public PipeWriter Writer => _writer ??= PipeWriter.Create(Stream.Null);

        public void DisableBuffering() => inner.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            inner.StartAsync(cancellationToken);

        public Task CompleteAsync() => inner.CompleteAsync();
    }
}
