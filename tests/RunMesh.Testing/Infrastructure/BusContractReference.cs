using System.Text.Json.Nodes;

namespace RunMesh.Testing.Infrastructure;

/// <summary>The example envelopes of docs/bus-contract.md, so that tests can hold them to what the services really send.</summary>
public static class BusContractReference
{
    /// <summary>The page, relative to the repository root.</summary>
    public const string RelativePath = "docs/bus-contract.md";

    /// <summary>Every <c>```json</c> block of the page that is a MassTransit envelope (it has <c>messageType</c>).</summary>
    public static IReadOnlyList<JsonObject> Envelopes()
    {
        var lines = File.ReadAllText(Path.Combine(RepositoryPaths.Root, RelativePath)).ReplaceLineEndings("\n").Split('\n');
        var envelopes = new List<JsonObject>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "```json")
            {
                continue;
            }

            var end = Array.IndexOf(lines, "```", i + 1);
            if (JsonNode.Parse(string.Join('\n', lines[(i + 1)..end])) is JsonObject envelope && envelope.ContainsKey("messageType"))
            {
                envelopes.Add(envelope);
            }

            i = end;
        }

        return envelopes;
    }

    /// <summary>The one documented envelope of <paramref name="messageType"/> (e.g. <c>RunFinished</c>) that <paramref name="which"/> picks.</summary>
    public static JsonObject Envelope(string messageType, Func<JsonObject, bool> which) =>
        Envelopes().Single(e => e["messageType"]!.AsArray().Any(t => t!.GetValue<string>() == $"urn:message:RunMesh.Contracts:{messageType}")
            && which(e["message"]!.AsObject()));
}
