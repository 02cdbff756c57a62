using System.Globalization;
using Microsoft.AspNetCore.Http.Timeouts;
using RunMesh.Hosting.Problems;
using Yarp.ReverseProxy.Forwarder;

namespace RunMesh.Gateway.Limits;

/// <summary>
/// Runs in YARP's pipeline: when forwarding failed (no healthy destination, connection refused, timeout, a body
/// over the limit, the request timeout) YARP sets a status but writes no body; this writes the matching problem+json
/// with a stable code.
/// </summary>
internal sealed partial class ForwarderProblemsMiddleware(RequestDelegate next, ILogger<ForwarderProblemsMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);

        var error = context.GetForwarderErrorFeature();
        if (error is null)
        {
            return;
        }

        var cluster = context.GetReverseProxyFeature().Cluster.Config.ClusterId;
        LogForwardingFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", cluster, error.Error, context.Response.StatusCode);
        if (context.Response.HasStarted)
        {
            return;
        }

        // The request timeout cancels the request's token, which YARP cannot tell from a client that went away.
        var timedOut = context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;
        var (status, code, title, detail) = (timedOut ? StatusCodes.Status504GatewayTimeout : context.Response.StatusCode) switch
        {
            StatusCodes.Status503ServiceUnavailable => (503, ProblemCodes.ServiceUnavailable, "Service unavailable", $"No destination of '{cluster}' is available right now."),
            StatusCodes.Status504GatewayTimeout => (504, ProblemCodes.GatewayTimeout, "Gateway timeout", $"'{cluster}' did not answer in time."),
            StatusCodes.Status413PayloadTooLarge => (413, ProblemCodes.PayloadTooLarge, "Payload too large", "The request body is over the limit."),
            >= 400 and < 500 => (context.Response.StatusCode, ProblemCodes.BadRequest, "Bad request", "The request could not be read."),
            _ => (502, ProblemCodes.BadGateway, "Bad gateway", $"'{cluster}' could not be reached or did not answer properly."),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // Until the next health probe of the cluster's destinations nothing changes: come back then.
            var probeInterval = context.GetReverseProxyFeature().Cluster.Config.HealthCheck?.Active?.Interval ?? TimeSpan.FromSeconds(5);
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(probeInterval.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await ProblemResponses.WriteAsync(context, status, code, title, detail);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding {Method} {Path} to {Cluster} failed: {Error} ({Status})")]
    private static partial void LogForwardingFailed(ILogger logger, string method, string path, string cluster, ForwarderError error, int status);
}
