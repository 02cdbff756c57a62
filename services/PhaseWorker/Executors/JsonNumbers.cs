using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>Reads JSON numbers whatever backs the node (parsed JSON or a CLR value such as an <see cref="int"/>).</summary>
internal static class JsonNumbers
{
    /// <summary>The node's value as a decimal; <see langword="null"/> when it is not a number (or out of range).</summary>
    public static decimal? AsDecimal(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
}
