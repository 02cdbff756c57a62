using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using RunMesh.Hosting.Identity;

namespace RunMesh.Gateway;

/// <summary>The gateway's settings: configuration section <c>Gateway</c>, validated on start.</summary>
public sealed partial class GatewayOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Gateway";

    /// <summary>
    /// API keys by identity (<c>Gateway:ApiKeys:&lt;identity&gt;:Role</c> and <c>…:KeyHashes</c>). Only hashes are
    /// configured; several per identity, so a new key can be handed out before the old one is removed.
    /// </summary>
    public Dictionary<string, ApiKeyIdentity> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The largest request body the gateway forwards (1 MiB by default); larger → 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a request may take end to end (except the event stream); then 504.</summary>
    [Range(1, 3600)]
    public int RequestTimeoutSeconds { get; set; } = 100;

    /// <summary>Per-API-key and per-client-address rate limits.</summary>
    public RateLimitSettings RateLimit { get; set; } = new();

    /// <summary>
    /// The gateway's public URL (e.g. <c>https://runmesh.example.com</c>), written into the OpenAPI documents'
    /// <c>servers</c>. Unset: the documents name no server, so clients resolve paths against where they read the
    /// document; the request's <c>Host</c> is never echoed.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>The key that signs the identity forwarded to the services.</summary>
    public SigningSettings Signing { get; set; } = new();

    /// <summary>Console sessions: signing in with an API key for a session cookie (<c>/auth/*</c>).</summary>
    public SessionSettings Sessions { get; set; } = new();

    /// <summary>The web console's built assets, served at <c>/</c>.</summary>
    public ConsoleSettings Console { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (identity, entry) in ApiKeys)
        {
            if (!Roles.IsKnown(entry.Role))
            {
                yield return new ValidationResult(
                    $"Gateway:ApiKeys:{identity}:Role must be one of {string.Join(", ", Roles.Ordered)}.", [nameof(ApiKeys)]);
            }

            for (var i = 0; i < entry.KeyHashes.Count; i++)
            {
                if (!KeyHashPattern().IsMatch(entry.KeyHashes[i]))
                {
                    // The value is a hash, not a secret, but it is not echoed either: the position is enough.
                    yield return new ValidationResult(
                        $"Gateway:ApiKeys:{identity}:KeyHashes:{i} must be 'sha256:' and 64 lower-case hex digits (the SHA-256 of the key's UTF-8 bytes).",
                        [nameof(ApiKeys)]);
                }
            }
        }

        if (RateLimit.PermitsPerMinute < 1)
        {
            yield return new ValidationResult("Gateway:RateLimit:PermitsPerMinute must be at least 1.", [nameof(RateLimit)]);
        }

        if (RateLimit.PerClientAddress.PermitsPerSecond < 0)
        {
            yield return new ValidationResult(
                "Gateway:RateLimit:PerClientAddress:PermitsPerSecond must be 0 (no limit) or more.", [nameof(RateLimit)]);
        }
        else if (RateLimit.PerClientAddress.PermitsPerSecond > 0 && RateLimit.PerClientAddress.Burst < RateLimit.PerClientAddress.PermitsPerSecond)
        {
            yield return new ValidationResult(
                "Gateway:RateLimit:PerClientAddress:Burst must be at least PermitsPerSecond.", [nameof(RateLimit)]);
        }

        if (!string.IsNullOrWhiteSpace(PublicUrl)
            && !(Uri.TryCreate(PublicUrl, UriKind.Absolute, out var publicUrl) && publicUrl.Scheme is "http" or "https" && publicUrl.Query.Length == 0 && publicUrl.Fragment.Length == 0))
        {
            yield return new ValidationResult("Gateway:PublicUrl must be an absolute http(s) URL without query or fragment.", [nameof(PublicUrl)]);
        }

        if (string.IsNullOrWhiteSpace(Signing.PrivateKeyPath) == string.IsNullOrWhiteSpace(Signing.PrivateKeyPem))
        {
            yield return new ValidationResult(
                "Set exactly one of Gateway:Signing:PrivateKeyPath (a PEM file; deploy/local/gateway-keys.sh makes one) or Gateway:Signing:PrivateKeyPem.",
                [nameof(Signing)]);
        }

        if (Signing.TokenLifetimeSeconds is < 5 or > 60)
        {
            yield return new ValidationResult("Gateway:Signing:TokenLifetimeSeconds must be between 5 and 60.", [nameof(Signing)]);
        }

        if (Sessions.IdleTimeout < TimeSpan.FromMinutes(1) || Sessions.IdleTimeout > TimeSpan.FromDays(7))
        {
            yield return new ValidationResult("Gateway:Sessions:IdleTimeout must be between 00:01:00 and 7.00:00:00.", [nameof(Sessions)]);
        }

        if (Sessions.LoginAttemptsPerMinute < 1)
        {
            yield return new ValidationResult("Gateway:Sessions:LoginAttemptsPerMinute must be at least 1.", [nameof(Sessions)]);
        }

        if (Sessions.Directory is { } directory && !Path.IsPathFullyQualified(directory))
        {
            yield return new ValidationResult("Gateway:Sessions:Directory must be an absolute path.", [nameof(Sessions)]);
        }

        if (Console.AssetsPath is { } assets && !Path.IsPathFullyQualified(assets))
        {
            yield return new ValidationResult("Gateway:Console:AssetsPath must be an absolute path.", [nameof(Console)]);
        }
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex KeyHashPattern();
}

/// <summary>One identity's API keys and role.</summary>
public sealed class ApiKeyIdentity
{
    /// <summary><c>viewer</c>, <c>submitter</c>, <c>approver</c> or <c>admin</c>.</summary>
    public string Role { get; set; } = "";

    /// <summary><c>sha256:&lt;hex&gt;</c> of each key's UTF-8 bytes.</summary>
    public List<string> KeyHashes { get; set; } = [];
}

/// <summary>Per-API-key rate limit (a fixed window of one minute), and the per-client-address limit in front of authentication.</summary>
public sealed class RateLimitSettings
{
    /// <summary>Requests per key and minute (1,200 by default).</summary>
    public int PermitsPerMinute { get; set; } = 1200;

    /// <summary>Requests per client address, counted before authentication.</summary>
    public ClientAddressRateLimitSettings PerClientAddress { get; set; } = new();
}

/// <summary>A token bucket per client address: <see cref="PermitsPerSecond"/> sustained, up to <see cref="Burst"/> at once.</summary>
public sealed class ClientAddressRateLimitSettings
{
    /// <summary>Tokens added per second (200 by default); 0 turns the limit off.</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>The bucket's size: how many requests may arrive at once (400 by default).</summary>
    public int Burst { get; set; } = 400;
}

/// <summary>The gateway's ES256 signing key (a P-256 private key, PEM).</summary>
public sealed class SigningSettings
{
    /// <summary>A PEM file with the private key.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>The private key as PEM text (e.g. from a secret store).</summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>How long a forwarded identity token lives (at most 60 s).</summary>
    public int TokenLifetimeSeconds { get; set; } = 60;
}

/// <summary>
/// Console sessions: <c>POST /auth/login</c> turns an API key into an HttpOnly session cookie, protected with ASP.NET
/// Core Data Protection, that the gateway accepts like that key.
/// </summary>
public sealed class SessionSettings
{
    /// <summary>
    /// Where the gateway keeps what sessions need across restarts: the Data Protection key ring (<c>keys/</c>) and the
    /// signed-out sessions (<c>revoked/</c>). Gateway replicas that share it accept each other's cookies. Unset: both
    /// are in memory, so every session ends when the gateway restarts.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>A session ends after this long without a request (8 hours by default); each request extends it.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Sign-in attempts per client address and minute (10 by default), wrong keys and right ones alike.</summary>
    public int LoginAttemptsPerMinute { get; set; } = 10;
}

/// <summary>The web console's built assets (<c>clients/Console</c>, built into the gateway's output by its project).</summary>
public sealed class ConsoleSettings
{
    /// <summary>The folder holding the console's <c>index.html</c> and <c>assets/</c>; unset: <c>console/</c> beside the gateway's assembly.</summary>
    public string? AssetsPath { get; set; }
}
