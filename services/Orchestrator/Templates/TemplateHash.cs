using System.Text.Json.Nodes;
using RunMesh.Hashing;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// A template's content address: <c>hash = sha256(canonical JSON of the template's JSON form)</c>, i.e.
/// <see cref="Digest.Of(JsonNode?)"/> of the parsed document, before any default is applied. YAML and JSON of the same
/// content, in any key order and with any whitespace, have the same hash; re-registering identical content is
/// recognised by it.
/// </summary>
public static class TemplateHash
{
    /// <summary>The hash of a template's JSON form: <c>"sha256:"</c> and 64 lower-case hex digits.</summary>
    /// <exception cref="CanonicalJsonException">The JSON holds a value with no canonical form (e.g. a number beyond a double's range).</exception>
    public static string Of(JsonObject template) => Digest.Of(template);
}
