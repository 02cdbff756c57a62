using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RunMesh.Gateway.Limits;

namespace RunMesh.Gateway.Sessions;

/// <summary>
/// Sign-in attempts per client address (an IPv4 address or an IPv6 /64, as for the per-address limit): a token bucket
/// of <see cref="SessionSettings.LoginAttemptsPerMinute"/> attempts that refills evenly over a minute, so guessing
/// keys through <c>/auth/login</c> is as slow as through the API. In memory, per gateway replica.
/// </summary>
internal sealed class LoginAttempts : IDisposable
{
    private readonly PartitionedRateLimiter<HttpContext> _limiter;

    public LoginAttempts(IOptions<GatewayOptions> options)
    {
        var perMinute = options.Value.Sessions.LoginAttemptsPerMinute;
        _limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            RateLimitPartition.GetTokenBucketLimiter(ClientAddressRateLimitMiddleware.PartitionOf(context.Connection.RemoteIpAddress), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes one attempt for the request's address; null when allowed, else how long until the next one is.</summary>
    public TimeSpan? TryTake(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(context);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _limiter.Dispose();
}
