using System.Security.Cryptography;

namespace RunMesh.Hosting.Identity;

/// <summary>
/// Where a service finds the gateway's public key(s): configuration section <c>Identity</c>. Either a PEM file
/// (<see cref="GatewayPublicKeyPath"/>) or the PEM text (<see cref="GatewayPublicKeyPem"/>); several PEM blocks are
/// several accepted keys, which is how the signing key is rotated without downtime. Without a key no token is
/// valid: every endpoint but health, metrics and OpenAPI answers 401.
/// </summary>
public sealed class GatewayIdentityOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Identity";

    /// <summary>A PEM file with the gateway's public key(s).</summary>
    public string? GatewayPublicKeyPath { get; set; }

    /// <summary>The gateway's public key(s) as PEM text.</summary>
    public string? GatewayPublicKeyPem { get; set; }

    /// <summary>The configured public keys (none when nothing is configured).</summary>
    public IReadOnlyList<ECDsa> LoadKeys()
    {
        var keys = new List<ECDsa>();
        if (!string.IsNullOrWhiteSpace(GatewayPublicKeyPath))
        {
            if (!File.Exists(GatewayPublicKeyPath))
            {
                throw new InvalidOperationException(
                    $"Identity:GatewayPublicKeyPath points to '{GatewayPublicKeyPath}', which does not exist (deploy/local/gateway-keys.sh makes one).");
            }

            keys.AddRange(GatewayIdentity.ReadKeys(File.ReadAllText(GatewayPublicKeyPath), "Identity:GatewayPublicKeyPath"));
        }

        if (!string.IsNullOrWhiteSpace(GatewayPublicKeyPem))
        {
            keys.AddRange(GatewayIdentity.ReadKeys(GatewayPublicKeyPem, "Identity:GatewayPublicKeyPem"));
        }

        return keys;
    }
}
