using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace RunMesh.Planner.Tests.Studies.Definition;

/// <summary>
/// DESIGN.md's identity formulas computed from their words alone — SHA-1/SHA-256 from System.Security.Cryptography and
/// a UUIDv5 written out here — so that the product's helpers are checked, not reused.
/// </summary>
internal static class IndependentIdentity
{
    private const string RunMeshNamespace = "d8d4085f-8a17-4111-a09c-f166bf94d137";

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>RFC 9562 §5.5: SHA-1 of the namespace's 16 bytes and the UTF-8 name; version 5, variant 10.</summary>
    public static Guid UuidV5(string name)
    {
        var input = Convert.FromHexString(RunMeshNamespace.Replace("-", "", StringComparison.Ordinal)).Concat(Encoding.UTF8.GetBytes(name)).ToArray();
#pragma warning disable CA5350 // UUIDv5 is defined with SHA-1.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(hash, 0, 16);
        return Guid.Parse($"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}");
    }

    public static Guid StudyId(string canonicalDefinition) => UuidV5("sha256:" + Sha256Hex(canonicalDefinition));

    public static string ConditionId(string canonicalFactors) => "c" + Sha256Hex(canonicalFactors)[..12];

    public static Guid RunId(Guid studyId, string conditionId, int replicate) => UuidV5($"{studyId}:{conditionId}:{replicate}");

    public static long Seed(long studySeed, string conditionId, int replicate)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{studySeed}:{conditionId}:{replicate}"));
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(hash) & ((1UL << 53) - 1));
    }
}
