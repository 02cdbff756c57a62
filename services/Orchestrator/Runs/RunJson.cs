using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hashing;

namespace RunMesh.Orchestrator.Runs;

/// <summary>Small JSON helpers of the run lifecycle.</summary>
internal static class RunJson
{
    /// <summary>The lower-case wire name of a contract enum (its <c>JsonStringEnumMemberName</c>).</summary>
    public static string WireName<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        JsonSerializer.Serialize(value).Trim('"');

    /// <summary>The artifact itself when it is small, else the start of its canonical JSON as a string.</summary>
    public static JsonNode? Preview(JsonNode? artifact, int maxCharacters)
    {
        var canonical = CanonicalJson.SerializeToString(artifact);
        return canonical.Length <= maxCharacters
            ? artifact?.DeepClone()
            : JsonValue.Create(string.Concat(canonical.AsSpan(0, maxCharacters), "…"));
    }
}
