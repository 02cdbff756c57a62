using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Limits;

/// <summary>
/// A token bucket per client address, in front of authentication: requests with an unknown key, a refused role or
/// no key at all are counted too, which the per-key limit (after authentication) cannot do. Beyond it 429
/// problem+json with <c>Retry-After</c>. The address is the connection's (no <c>X-Forwarded-For</c> is trusted);
/// IPv6 clients are counted per /64, since one host usually owns a whole /64. Health and metrics are not counted,
/// so probes and scrapers are never refused. The buckets are in memory, per gateway replica.
/// </summary>
internal sealed partial class ClientAddressRateLimitMiddleware : IDisposable
{
    private readonly RequestDelegate _next;
    private readonly ILogger<ClientAddressRateLimitMiddleware> _logger;
    private readonly PartitionedRateLimiter<HttpContext>? _limiter;

    public ClientAddressRateLimitMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, ILogger<ClientAddressRateLimitMiddleware> logger)
    {
        _next = next;
        _logger = logger;
        var settings = options.Value.RateLimit.PerClientAddress;
        if (settings.PermitsPerSecond > 0)
        {
            _limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(PartitionOf(context.Connection.RemoteIpAddress), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.Burst,
                    TokensPerPeriod = settings.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        }
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (_limiter is null || IsOperational(context.Request.Path))
        {
            await _next(context);
            return;
        }

        using var lease = _limiter.AttemptAcquire(context);
        if (lease.IsAcquired)
        {
            await _next(context);
            return;
        }

        var partition = PartitionOf(context.Connection.RemoteIpAddress);
        LogRefused(_logger, partition);
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ProblemResponses.WriteAsync(
            context, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests",
            $"Too many requests from this address; retry in {seconds} s.");
    }

    public void Dispose() => _limiter?.Dispose();

    /// <summary>The bucket an address counts against: the IPv4 address, or the /64 of an IPv6 address.</summary>
    internal static string PartitionOf(IPAddress? address)
    {
        if (address is null)
        {
            return "";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private static bool IsOperational(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a request from {ClientAddress}: its rate limit is used up")]
    private static partial void LogRefused(ILogger logger, string clientAddress);
}
