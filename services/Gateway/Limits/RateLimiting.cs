using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RunMesh.Gateway.Authentication;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Limits;

/// <summary>
/// Per-API-key rate limit (ASP.NET Core's rate limiter): a fixed one-minute window of
/// <see cref="RateLimitSettings.PermitsPerMinute"/> requests per key; beyond it 429 problem+json with <c>Retry-After</c>.
/// Requests without a key are not counted (they are refused with 401, or reach anonymous endpoints: health, documents).
/// The counters are in memory, per gateway replica.
/// </summary>
internal static class RateLimiting
{
    private static readonly TimeSpan s_window = TimeSpan.FromMinutes(1);

    public static IServiceCollection AddApiKeyRateLimiter(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var keyId = context.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value;
                if (keyId is null)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }

                var permits = context.RequestServices.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue.RateLimit.PermitsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(keyId, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = s_window,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = WriteRejectionAsync;
        });

    private static async ValueTask WriteRejectionAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : s_window;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ProblemResponses.WriteAsync(
            rejected.HttpContext, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests",
            $"This API key made too many requests; retry in {seconds} s.");
    }
}
