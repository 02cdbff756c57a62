using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.Hashing;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>
/// The study's derived identities, exactly as DESIGN.md ("Studies (the planner)") defines them, so that planning the
/// same definition again — on a resume, in another replica — names the same study, conditions, runs and seeds.
/// </summary>
public static class StudyIdentity
{
    /// <summary>The mask of a run's seed: 53 bits, the integers a JSON number (an IEEE-754 double) holds exactly.</summary>
    public const long SeedMask = (1L << 53) - 1;

    /// <summary><c>studyId</c> = UUIDv5 (RunMesh namespace) of the <c>sha256:</c> digest of the canonical definition.</summary>
    public static Guid StudyId(string definitionDigest) => NameBasedId.Of(definitionDigest);

    /// <summary>
    /// <c>conditionId</c> = <c>c</c> + the first 12 hex digits of the sha256 of the condition's canonical JSON (the
    /// object keyed by factor keys as the definition spells them).
    /// </summary>
    public static string ConditionId(JsonObject factors) =>
        "c" + Digest.Of(factors).AsSpan(Digest.Sha256Prefix.Length, 12).ToString();

    /// <summary>
    /// <c>runId</c> = UUIDv5 (RunMesh namespace) of <c>{studyId}:{conditionId}:{replicate}</c>, the study id written
    /// as lower-case hex with hyphens (<c>D</c> format) and the replicate counting from 1.
    /// </summary>
    public static Guid RunId(Guid studyId, string conditionId, int replicate) =>
        NameBasedId.Of(string.Create(CultureInfo.InvariantCulture, $"{studyId:D}:{conditionId}:{replicate}"));

    /// <summary>
    /// A run's <c>model.seed</c>: the first 8 bytes of sha256(<c>{seed}:{conditionId}:{replicate}</c>, UTF-8) read as a
    /// big-endian integer, masked to its low 53 bits (<see cref="SeedMask"/>).
    /// </summary>
    public static long RunSeed(long studySeed, string conditionId, int replicate)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{studySeed}:{conditionId}:{replicate}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(hash) & SeedMask);
    }
}
