using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Hashing;

/// <summary>
/// The one way RunMesh names content: <c>"sha256:"</c> followed by 64 lower-case hex digits. Template hashes,
/// <c>InputBundleHash</c>, artifact digests and manifest digests are all <see cref="Of(JsonNode?)"/> of a JSON value,
/// i.e. SHA-256 over its RFC 8785 canonical bytes (<see cref="CanonicalJson"/>), so equal JSON gives equal digests
/// whatever its key order, whitespace or number spelling.
/// </summary>
/// <remarks>
/// To digest a .NET object, first turn it into JSON with the same serializer options it has on the wire
/// (e.g. <c>JsonSerializer.SerializeToNode(value, options)</c>): names and enum spellings are part of the digest.
/// Digests are compared as strings, ordinally.
/// </remarks>
public static class Digest
{
    /// <summary>The prefix every digest starts with, naming its algorithm.</summary>
    public const string Sha256Prefix = "sha256:";

    // "sha256:" + two hex digits per byte of a SHA-256 hash.
    private const int Sha256Length = 7 + (2 * SHA256.HashSizeInBytes);

    private static readonly SearchValues<char> s_lowerHex = SearchValues.Create("0123456789abcdef");

    /// <summary>The digest of JSON content: SHA-256 of its canonical bytes.</summary>
    /// <param name="node">The value; <see langword="null"/> is the JSON literal <c>null</c>.
    /// A C# string converts implicitly to a JSON <em>string value</em>: to digest JSON text, use <see cref="OfJson(string)"/>.</param>
    /// <returns><c>"sha256:"</c> followed by 64 lower-case hex digits.</returns>
    /// <exception cref="CanonicalJsonException">The value cannot be canonicalized (NaN, Infinity, an invalid string).</exception>
    public static string Of(JsonNode? node) => Sha256(CanonicalJson.Serialize(node));

    /// <summary>The digest of JSON content: SHA-256 of its canonical bytes.</summary>
    /// <returns><c>"sha256:"</c> followed by 64 lower-case hex digits.</returns>
    /// <exception cref="CanonicalJsonException">The element cannot be canonicalized (a duplicate property name, an out-of-range number, an invalid string).</exception>
    public static string Of(JsonElement element) => Sha256(CanonicalJson.Serialize(element));

    /// <summary>The digest of JSON text: SHA-256 of its canonical bytes, not of the text as given.</summary>
    /// <returns><c>"sha256:"</c> followed by 64 lower-case hex digits.</returns>
    /// <exception cref="CanonicalJsonException">The text is not valid JSON or cannot be canonicalized.</exception>
    public static string OfJson(ReadOnlySpan<byte> utf8Json) => Sha256(CanonicalJson.Canonicalize(utf8Json));

    /// <inheritdoc cref="OfJson(ReadOnlySpan{byte})"/>
    // The canonical string holds no lone surrogate (CanonicalJson rejects them), so plain UTF-8 encoding is exact.
    public static string OfJson(string json) => Sha256(Encoding.UTF8.GetBytes(CanonicalJson.Canonicalize(json)));

    /// <summary>
    /// The digest of bytes exactly as given. For JSON use <see cref="Of(JsonNode?)"/> or <see cref="OfJson(ReadOnlySpan{byte})"/>,
    /// which canonicalize first.
    /// </summary>
    /// <returns><c>"sha256:"</c> followed by 64 lower-case hex digits.</returns>
    public static string Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return Sha256Prefix + Convert.ToHexStringLower(hash);
    }

    /// <summary>Whether <paramref name="value"/> is a well-formed digest: <c>"sha256:"</c> and 64 lower-case hex digits.</summary>
    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: Sha256Length }
        && value.StartsWith(Sha256Prefix, StringComparison.Ordinal)
        && !value.AsSpan(Sha256Prefix.Length).ContainsAnyExcept(s_lowerHex);
}
