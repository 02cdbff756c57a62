using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace RunMesh.Gateway.Authentication;

/// <summary>The caller an API key belongs to. <see cref="KeyId"/> names the key (not the secret) for rate limits and logs.</summary>
internal sealed record ApiKeyOwner(string Identity, string Role, string KeyId);

/// <summary>
/// The configured API keys, as SHA-256 hashes only. A presented key is hashed and compared with every configured
/// hash in constant time (no early exit), so neither the comparison nor the loop tells how close a guess was.
/// Follows configuration changes: adding or removing a hash rotates a key without a restart.
/// </summary>
internal sealed class ApiKeyRing
{
    /// <summary>Longer input is not a key we issued; it is refused before hashing.</summary>
    public const int MaxKeyLength = 512;

    private volatile IReadOnlyList<(byte[] Hash, ApiKeyOwner Owner)> _keys;

    public ApiKeyRing(IOptionsMonitor<GatewayOptions> options)
    {
        _keys = Build(options.CurrentValue);
        options.OnChange(current => _keys = Build(current));
    }

    /// <summary>The owner of <paramref name="key"/>, or null when no configured hash matches.</summary>
    public ApiKeyOwner? Find(string key)
    {
        if (key.Length is 0 or > MaxKeyLength)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return FindByHash(hash);
    }

    /// <summary>
    /// The owner of the key whose SHA-256 is <paramref name="hash"/>, or null when no configured hash matches (a session
    /// names its key this way, so removing the key's hash from configuration ends its sessions too).
    /// </summary>
    public ApiKeyOwner? FindByHash(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != SHA256.HashSizeInBytes)
        {
            return null;
        }

        ApiKeyOwner? owner = null;
        foreach (var (candidate, candidateOwner) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate))
            {
                owner ??= candidateOwner;
            }
        }

        return owner;
    }

    /// <summary>The configuration form of a key's hash: <c>sha256:</c> and the lower-case hex SHA-256 of its UTF-8 bytes.</summary>
    public static string HashOf(string key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static List<(byte[] Hash, ApiKeyOwner Owner)> Build(GatewayOptions options) =>
        options.ApiKeys
            .SelectMany(entry => entry.Value.KeyHashes.Select(hash =>
            {
                var bytes = Convert.FromHexString(hash.AsSpan("sha256:".Length));
                // Identity plus the hash's first bytes: tells two keys of one identity apart, reveals nothing of the key.
                return (bytes, new ApiKeyOwner(entry.Key, entry.Value.Role, $"{entry.Key}/{Convert.ToHexStringLower(bytes.AsSpan(0, 4))}"));
            }))
            .ToList();
}
