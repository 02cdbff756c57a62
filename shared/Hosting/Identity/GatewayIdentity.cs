using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace RunMesh.Hosting.Identity;

/// <summary>
/// The caller's identity as the gateway forwards it: a JWT (ES256) that lives at most a minute, issued by
/// <see cref="Issuer"/>, with the target service as audience and the claims <see cref="SubjectClaim"/> and <see cref="RoleClaim"/>.
/// </summary>
public static class GatewayIdentity
{
    /// <summary>The <c>iss</c> of every identity token.</summary>
    public const string Issuer = "runmesh-gateway";

    /// <summary>The caller (the API key's identity).</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The caller's role (see <see cref="Roles"/>).</summary>
    public const string RoleClaim = "role";

    /// <summary>The longest lifetime a token may have; services refuse longer-lived ones.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The only signing algorithm.</summary>
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    /// <summary>
    /// The key id (<c>kid</c>) of a key: its RFC 7638 JWK thumbprint, the same from the private or the public half,
    /// so services holding several public keys (during a rotation) pick the right one.
    /// </summary>
    public static string KeyId(ECDsa key) =>
        Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(key)).ComputeJwkThumbprint());

    /// <summary>Every key in <paramref name="pem"/> (one or several PEM blocks); each must be a P-256 key.</summary>
    public static IReadOnlyList<ECDsa> ReadKeys(string pem, string source)
    {
        var keys = new List<ECDsa>();
        var rest = pem.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var block = rest[fields.Location];
            rest = rest[fields.Location.End..];
            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(block.Span);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                key.Dispose();
                // The exception text could quote the key material: name the source, not the content.
                throw new InvalidOperationException($"{source} holds a PEM block that is not an EC key.", ex);
            }

            var size = key.KeySize;
            if (size != 256)
            {
                key.Dispose();
                throw new InvalidOperationException($"{source} holds a {size}-bit EC key; the identity tokens need P-256 (ES256).");
            }

            keys.Add(key);
        }

        return keys.Count > 0 ? keys : throw new InvalidOperationException($"{source} holds no PEM-encoded key.");
    }
}
