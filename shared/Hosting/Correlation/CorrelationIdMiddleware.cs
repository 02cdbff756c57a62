using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RunMesh.Hosting.Correlation;

/// <summary>
/// Accepts <c>X-Correlation-Id</c> from the caller (or makes one), returns it on the response and puts it
/// in the logging scope and on the current trace, so one id follows a request through every service's logs.
/// </summary>
internal sealed partial class CorrelationIdMiddleware(RequestDelegate next, ILogger<CorrelationIdMiddleware> logger)
{
    public const string HeaderName = "X-Correlation-Id";
    private const int MaxLength = 128;

    public async Task InvokeAsync(HttpContext context)
    {
        var correlationId = Accept(context.Request.Headers[HeaderName].ToString()) ?? Guid.NewGuid().ToString("N");
        context.Items[HeaderName] = correlationId;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[HeaderName] = correlationId;
            return Task.CompletedTask;
        });
        Activity.Current?.SetTag("correlation.id", correlationId);

        using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = correlationId }))
        {
            await next(context);
        }
    }

    /// <summary>A caller's id is kept only if it is short and printable, so it cannot forge log lines.</summary>
    private static string? Accept(string value) =>
        value.Length is > 0 and <= MaxLength && value.All(c => c is > ' ' and <= '~') ? value : null;
}

/// <summary>Registers <see cref="CorrelationIdMiddleware"/>.</summary>
public static class CorrelationIdExtensions
{
    /// <summary>Adds correlation id handling to the pipeline.</summary>
    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) =>
        app.UseMiddleware<CorrelationIdMiddleware>();
}
