using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// Compares a documented JSON example with what was really sent, by shape: the same fields (no more, no fewer) and
/// the same kind of value in each (a number stays a number, a string a string), recursively. A field that is
/// <c>null</c> on one side may hold a value on the other (whether it is set depends on the run). Values are not
/// compared — an example's ids, digests and times are its own — and neither are free-form objects (<see cref="FreeForm"/>).
/// </summary>
public static class JsonShape
{
    /// <summary>
    /// Fields whose objects belong to the run or the sender, not to the contract: inputs, model, labels, event payloads,
    /// and an envelope's transport headers.
    /// </summary>
    public static readonly IReadOnlySet<string> FreeForm =
        new HashSet<string>(StringComparer.Ordinal) { "inputs", "model", "labels", "payload", "headers" };

    /// <summary>Where <paramref name="actual"/> differs in shape from <paramref name="documented"/>; empty when they agree.</summary>
    public static IReadOnlyList<string> Differences(JsonNode? documented, JsonNode? actual)
    {
        var differences = new List<string>();
        Compare(documented, actual, "$", differences);
        return differences;
    }

    private static void Compare(JsonNode? documented, JsonNode? actual, string path, List<string> differences)
    {
        var (expectedKind, actualKind) = (KindOf(documented), KindOf(actual));
        if (expectedKind == "null" || actualKind == "null")
        {
            return;
        }

        if (expectedKind != actualKind)
        {
            differences.Add($"{path}: documented as {expectedKind}, sent as {actualKind} ({Shorten(actual)})");
            return;
        }

        switch (documented)
        {
            case JsonObject expected when actual is JsonObject sent:
                foreach (var (name, value) in sent)
                {
                    if (!expected.ContainsKey(name))
                    {
                        differences.Add($"{path}.{name}: sent ({Shorten(value)}) but not documented");
                    }
                    else if (!FreeForm.Contains(name))
                    {
                        Compare(expected[name], value, $"{path}.{name}", differences);
                    }
                }

                differences.AddRange(expected.Where(p => !sent.ContainsKey(p.Key)).Select(p => $"{path}.{p.Key}: documented but not sent"));
                break;
            case JsonArray expected when actual is JsonArray sent && expected.Count > 0:
                // Item by item; past the documented items, the last one stands for the rest.
                for (var i = 0; i < sent.Count; i++)
                {
                    Compare(expected[Math.Min(i, expected.Count - 1)], sent[i], $"{path}[{i}]", differences);
                }

                break;
        }
    }

    private static string KindOf(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static string Shorten(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
    }
}
