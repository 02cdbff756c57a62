using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Limits;

/// <summary>
/// Bodies larger than <see cref="GatewayOptions.MaxRequestBodyBytes"/> are refused with 413 problem+json: at once when
/// <c>Content-Length</c> says so, and by the server's body size limit for chunked bodies (while YARP forwards them,
/// reported by <see cref="ForwarderProblemsMiddleware"/>).
/// </summary>
internal sealed partial class RequestBodyLimitMiddleware(RequestDelegate next, IOptionsMonitor<GatewayOptions> options, ILogger<RequestBodyLimitMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = options.CurrentValue.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            LogTooLarge(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Request.ContentLength.Value, limit);
            return ProblemResponses.WriteAsync(
                context, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large",
                $"The request body has {context.Request.ContentLength} bytes; the limit is {limit}.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        return next(context);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path}: body of {Length} bytes is over the limit of {Limit}")]
    private static partial void LogTooLarge(ILogger logger, string method, string path, long length, long limit);
}
