using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Hosting.Documents;

/// <summary>
/// Reads typed fields of a JSON document a person wrote, recording a <see cref="ValidationProblem"/> for each one that
/// is missing, of the wrong type or out of range, so that a validator lists every problem instead of stopping at the
/// first. An explicit <c>null</c> is a value of the wrong type, not an absent field.
/// </summary>
public sealed class FieldReader
{
    /// <summary>Every problem recorded so far, in the order found.</summary>
    public List<ValidationProblem> Problems { get; } = [];

    /// <summary>Records a problem at <paramref name="path"/>.</summary>
    public void Add(string path, string message) => Problems.Add(new ValidationProblem(path, message));

    /// <summary>Whether a problem was recorded at exactly <paramref name="path"/>.</summary>
    public bool HasProblemAt(string path) => Problems.Exists(p => string.Equals(p.Path, path, StringComparison.Ordinal));

    /// <summary>Records each member of <paramref name="obj"/> not named in <paramref name="known"/> as an unknown field.</summary>
    public void RejectUnknown(JsonObject obj, string path, string[] known)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(known);
        foreach (var (name, _) in obj)
        {
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                Add($"{path}.{name}", $"unknown field (allowed here: {string.Join(", ", known)})");
            }
        }
    }

    /// <summary>The object at <paramref name="name"/>; <see langword="null"/> when absent or not an object.</summary>
    public JsonObject? ReadObject(JsonObject parent, string name, string path, bool required) =>
        FieldOf<JsonObject>(parent, name, path, required, "an object");

    /// <summary>The array at <paramref name="name"/>; <see langword="null"/> when absent or not an array.</summary>
    public JsonArray? ReadArray(JsonObject parent, string name, string path, bool required) =>
        FieldOf<JsonArray>(parent, name, path, required, "an array");

    /// <summary>The string at <paramref name="name"/>; <see langword="null"/> when absent or not a string.</summary>
    public string? ReadString(JsonObject parent, string name, string path, bool required)
    {
        var node = FieldOf<JsonNode>(parent, name, path, required, "a string");
        if (node is null)
        {
            return null;
        }

        if (!IsString(node, out var value))
        {
            Add($"{path}.{name}", $"must be a string, got {Describe(node)}");
            return null;
        }

        return value;
    }

    /// <summary>The boolean at <paramref name="name"/>; <see langword="null"/> when absent (it is optional) or not a boolean.</summary>
    public bool? ReadBoolean(JsonObject parent, string name, string path)
    {
        var node = FieldOf<JsonNode>(parent, name, path, required: false, "true or false");
        switch (node?.GetValueKind())
        {
            case null:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                Add($"{path}.{name}", $"must be true or false, got {Describe(node)}");
                return null;
        }
    }

    /// <summary>The integer at <paramref name="name"/>, from <paramref name="min"/> to <paramref name="max"/>; <see langword="null"/> when absent or not such an integer.</summary>
    public long? ReadInteger(JsonObject parent, string name, string path, bool required, long min, long max)
    {
        var number = NumberAt(parent, name, path, required, "an integer");
        if (number is not { } value)
        {
            return null;
        }

        if (Math.Floor(value) != value)
        {
            Add($"{path}.{name}", $"must be an integer, got {value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        if (value < min || value > max)
        {
            Add($"{path}.{name}", max == long.MaxValue ? $"must be at least {min}" : $"must be between {min} and {max}");
            return null;
        }

        return (long)value;
    }

    /// <summary>The optional number at <paramref name="name"/>, from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public double? ReadNumber(JsonObject parent, string name, string path, double min, double max)
    {
        var number = NumberAt(parent, name, path, required: false, "a number");
        if (number is { } value && (value < min || value > max))
        {
            Add($"{path}.{name}", $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return number;
    }

    /// <summary>The optional amount (exact, as <see cref="decimal"/>) at <paramref name="name"/>, above zero.</summary>
    public decimal? ReadPositiveDecimal(JsonObject parent, string name, string path) =>
        DecimalAt(parent, name, path, value => value > 0, "must be positive");

    /// <summary>The optional amount (exact, as <see cref="decimal"/>) at <paramref name="name"/>, zero or more.</summary>
    public decimal? ReadNonNegativeDecimal(JsonObject parent, string name, string path) =>
        DecimalAt(parent, name, path, value => value >= 0, "must not be negative");

    /// <summary>Whether <paramref name="node"/> is a JSON string, and its value.</summary>
    public static bool IsString(JsonNode? node, out string value)
    {
        if (node is JsonValue json && json.GetValueKind() == JsonValueKind.String)
        {
            value = json.GetValue<string>();
            return true;
        }

        value = string.Empty;
        return false;
    }

    /// <summary>A JSON value's kind in words, for messages: <c>an object</c>, <c>a string</c>, <c>null</c>, …</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
    };

    private decimal? DecimalAt(JsonObject parent, string name, string path, Func<decimal, bool> inRange, string outOfRange)
    {
        var node = FieldOf<JsonNode>(parent, name, path, required: false, "a number");
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.Number
            || !decimal.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            Add($"{path}.{name}", $"must be a number, got {Describe(node)}");
            return null;
        }

        if (!inRange(value))
        {
            Add($"{path}.{name}", outOfRange);
            return null;
        }

        return value;
    }

    private double? NumberAt(JsonObject parent, string name, string path, bool required, string expected)
    {
        var node = FieldOf<JsonNode>(parent, name, path, required, expected);
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.Number
            || !double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            Add($"{path}.{name}", $"must be {expected}, got {Describe(node)}");
            return null;
        }

        return value;
    }

    private T? FieldOf<T>(JsonObject parent, string name, string path, bool required, string expected)
        where T : JsonNode
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (!parent.TryGetPropertyValue(name, out var node))
        {
            if (required)
            {
                Add($"{path}.{name}", "is required");
            }

            return null;
        }

        if (node is not T typed)
        {
            Add($"{path}.{name}", $"must be {expected}, got {Describe(node)}");
            return null;
        }

        return typed;
    }
}
