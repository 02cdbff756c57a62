using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Limits;

/// <summary>
/// Bodies larger than <see cref="GatewayOptions.MaxRequestBodyBytes"/> are refused with 413 problem+json: at once when
/// <c>Content-Length</c> says so; a chunked body (no length) is read into a buffer up to the limit before it is
/// forwarded, so the answer is always 413 — never a race with a service that answers before the body has arrived.
/// </summary>
internal sealed partial class RequestBodyLimitMiddleware(RequestDelegate next, IOptionsMonitor<GatewayOptions> options, ILogger<RequestBodyLimitMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = options.CurrentValue.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            LogTooLarge(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Request.ContentLength.Value, limit);
            await ProblemResponses.WriteAsync(
                context, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large",
                $"The request body has {context.Request.ContentLength} bytes; the limit is {limit}.");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count > 0)
        {
            context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: limit);
            try
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }
            catch (Exception ex) when (ex is BadHttpRequestException or IOException)
            {
                LogTooLarge(logger, context.Request.Method, context.Request.Path.Value ?? "", -1, limit);
                await ProblemResponses.WriteAsync(
                    context, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large",
                    $"The request body is over the limit of {limit} bytes.");
                return;
            }

            context.Request.Body.Position = 0;
        }

        await next(context);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path}: body of {Length} bytes is over the limit of {Limit}")]
    private static partial void LogTooLarge(ILogger logger, string method, string path, long length, long limit);
}
