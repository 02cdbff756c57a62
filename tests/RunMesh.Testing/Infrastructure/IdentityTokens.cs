using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// Mints identity tokens the way the gateway does (ES256 JWT, issuer <c>runmesh-gateway</c>, audience = the service,
/// claims <c>sub</c> and <c>role</c>) — written independently of the gateway's code, with whatever key, audience and
/// times a test needs: valid ones to call a service directly, and forged, expired or misaddressed ones.
/// </summary>
public static class IdentityTokens
{
    /// <summary>The gateway's issuer name.</summary>
    public const string Issuer = "runmesh-gateway";

    /// <summary>A compact JWS signed with <paramref name="key"/> (P-256).</summary>
    public static string Mint(
        ECDsa key,
        string audience,
        string role = "admin",
        string subject = "test",
        DateTimeOffset? issuedAt = null,
        TimeSpan? lifetime = null,
        string issuer = Issuer)
    {
        var iat = (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var exp = iat + (long)(lifetime ?? TimeSpan.FromSeconds(60)).TotalSeconds;
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", typ = "JWT" }));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = subject,
            ["role"] = role,
            ["iat"] = iat,
            ["nbf"] = iat,
            ["exp"] = exp,
        }));
        var signingInput = $"{header}.{payload}";
        // JWS wants r||s (IEEE P1363), which is .NET's default signature format for ECDsa.
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return $"{signingInput}.{Encode(signature)}";
    }

    /// <summary>Base64url without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A new P-256 key pair.</summary>
    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);
}

/// <summary>Puts a freshly minted identity token on every request (tokens live a minute; a test may run longer).</summary>
public sealed class IdentityTokenHandler(ECDsa key, string audience, string role) : DelegatingHandler(new HttpClientHandler())
{
    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IdentityTokens.Mint(key, audience, role));
        return base.SendAsync(request, cancellationToken);
    }
}
