using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RunMesh.Hosting.Correlation;

/// <summary>
/// Accepts <c>X-Correlation-Id</c> from the caller (or makes one), returns it on the response, puts it in the logging
/// scope of every line written while the request runs and on the current trace, and logs one line per request when it
/// ends, so one id follows a request through every service's logs. The gateway forwards the id it settled on to the
/// service it routes to, so a client that sent none finds the id it got back in that service's log too.
/// </summary>
internal sealed partial class CorrelationIdMiddleware(RequestDelegate next, ILogger<CorrelationIdMiddleware> logger)
{
    // A scope whose text is "CorrelationId:<id>": the console formatter prints a scope's text, and structured
    // formatters read its CorrelationId property.
    private static readonly Func<ILogger, string, IDisposable?> s_scope = LoggerMessage.DefineScope<string>("CorrelationId:{CorrelationId}");

    public async Task InvokeAsync(HttpContext context)
    {
        var correlationId = CorrelationIds.Accept(context.Request.Headers[CorrelationIds.HeaderName].ToString()) ?? Guid.NewGuid().ToString("N");
        CorrelationIds.Set(context, correlationId);
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[CorrelationIds.HeaderName] = correlationId;
            return Task.CompletedTask;
        });
        Activity.Current?.SetTag("correlation.id", correlationId);

        using (s_scope(logger, correlationId))
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                // Probes and scrapes arrive every few seconds and nobody follows them by id.
                if (!IsProbe(context.Request.Path))
                {
                    LogRequestEnded(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} answered {StatusCode} in {ElapsedMilliseconds:0.0} ms")]
    private static partial void LogRequestEnded(ILogger logger, string method, string path, int statusCode, double elapsedMilliseconds);
}

/// <summary>The request's correlation id: the header, which ids are accepted from a caller, and where the request keeps it.</summary>
public static class CorrelationIds
{
    /// <summary>The header that carries the id, in and out.</summary>
    public const string HeaderName = "X-Correlation-Id";

    /// <summary>The longest id accepted from a caller.</summary>
    public const int MaxLength = 128;

    private static readonly object s_itemKey = new();

    /// <summary>
    /// <paramref name="value"/> when a caller's id may be used as is: 1 to <see cref="MaxLength"/> characters, each an
    /// ASCII letter or digit or one of <c>- _ . : / + =</c> (enough for GUIDs, ULIDs, trace ids and base64). Anything
    /// else — control characters, spaces, quotes, non-ASCII — could forge or break log lines, so it is replaced by a
    /// new id. Null when not acceptable.
    /// </summary>
    public static string? Accept(string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(IsAllowed) ? value : null;

    /// <summary>The id the current request settled on (the caller's, or a new one); null outside the middleware.</summary>
    public static string? GetCorrelationId(this HttpContext context) => context.Items.TryGetValue(s_itemKey, out var id) ? id as string : null;

    internal static void Set(HttpContext context, string correlationId) => context.Items[s_itemKey] = correlationId;

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/' or '+' or '=';
}

/// <summary>Registers <see cref="CorrelationIdMiddleware"/>.</summary>
public static class CorrelationIdExtensions
{
    /// <summary>Adds correlation id handling to the pipeline.</summary>
    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) =>
        app.UseMiddleware<CorrelationIdMiddleware>();
}
