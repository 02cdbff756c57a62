using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RunMesh.Hosting.Identity;

namespace RunMesh.Gateway.Identity;

/// <summary>
/// Signs the caller's identity for one service: an ES256 JWT with <c>iss</c> = <see cref="GatewayIdentity.Issuer"/>,
/// <c>aud</c> = the service, <c>sub</c> and <c>role</c>, living at most 60 s. A token is reused for half its
/// lifetime (per identity, role and audience), so signing costs nothing on the hot path.
/// </summary>
internal sealed class IdentityTokenIssuer : IDisposable
{
    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _clock;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ConcurrentDictionary<(string Subject, string Role, string Audience), (string Token, DateTimeOffset RenewAt)> _issued = new();

    public IdentityTokenIssuer(IOptions<GatewayOptions> options, TimeProvider clock)
    {
        var signing = options.Value.Signing;
        var (pem, source) = string.IsNullOrWhiteSpace(signing.PrivateKeyPath)
            ? (signing.PrivateKeyPem!, "Gateway:Signing:PrivateKeyPem")
            : (ReadFile(signing.PrivateKeyPath), "Gateway:Signing:PrivateKeyPath");
        var keys = GatewayIdentity.ReadKeys(pem, source);
        if (keys.Count != 1)
        {
            throw new InvalidOperationException($"{source} must hold exactly one P-256 private key; it holds {keys.Count}.");
        }

        _key = keys[0];
        _credentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = GatewayIdentity.KeyId(_key) }, GatewayIdentity.Algorithm);
        _lifetime = TimeSpan.FromSeconds(signing.TokenLifetimeSeconds);
        _clock = clock;
    }

    /// <summary>A token saying <paramref name="subject"/> with <paramref name="role"/> calls <paramref name="audience"/>.</summary>
    public string Issue(string subject, string role, string audience)
    {
        var now = _clock.GetUtcNow();
        var key = (subject, role, audience);
        if (_issued.TryGetValue(key, out var issued) && now < issued.RenewAt)
        {
            return issued.Token;
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GatewayIdentity.Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + _lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [GatewayIdentity.SubjectClaim] = subject,
                [GatewayIdentity.RoleClaim] = role,
            },
            SigningCredentials = _credentials,
        });
        _issued[key] = (token, now + (_lifetime / 2));
        return token;
    }

    public void Dispose() => _key.Dispose();

    private static string ReadFile(string path) =>
        File.Exists(path)
            ? File.ReadAllText(path)
            : throw new InvalidOperationException($"Gateway:Signing:PrivateKeyPath points to '{path}', which does not exist (deploy/local/gateway-keys.sh makes one).");
}
