using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RunMesh.Hashing;

namespace RunMesh.PhaseWorker.Executors.Mock;

/// <summary>
/// Builds an artifact that satisfies a JSON Schema (draft 7), deterministically: the same instructions, schema and seeds
/// always give the same artifact, and other instructions or seeds give other content (strings are made of the
/// instructions' words, every choice comes from a random sequence seeded with a hash of all of them).
/// </summary>
/// <remarks>
/// Supported: <c>type</c> (also as a list, e.g. <c>["string","null"]</c>), <c>properties</c>/<c>required</c>,
/// strings with <c>minLength</c>/<c>maxLength</c> and the common formats, numbers and integers with
/// (exclusive) bounds and <c>multipleOf</c>, booleans, arrays (<c>items</c>, tuples, <c>minItems</c>/<c>maxItems</c>,
/// <c>uniqueItems</c>), <c>enum</c>, <c>const</c>, <c>allOf</c> (merged), <c>oneOf</c>/<c>anyOf</c> (the first
/// alternative) and local <c>$ref</c>s. Not supported: <c>pattern</c>, <c>not</c>, <c>if/then/else</c>,
/// <c>dependencies</c>, <c>patternProperties</c> — a schema that relies on them may get an artifact that fails validation.
/// </remarks>
internal sealed partial class MockArtifactGenerator
{
    // Optional properties are filled in near the root only, so recursive schemas stay finite.
    private const int OptionalPropertiesDepth = 4;
    private const int MaxDepth = 24;
    private const int MaxWords = 256;
    private const decimal DefaultRange = 100m;
    private const decimal MaxMagnitude = 1_000_000_000_000_000m;

    private static readonly string[] s_fallbackWords =
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"];

    private static readonly DateTimeOffset s_epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly JsonNode? _root;
    private readonly DeterministicRandom _random;
    private readonly string[] _words;

    private MockArtifactGenerator(JsonNode? root, string instructions, string seed, long? modelSeed)
    {
        _root = root;
        // Without a model seed the material is what it always was, so existing seeds keep their artifacts.
        var modelPart = modelSeed is { } value ? string.Create(CultureInfo.InvariantCulture, $"model.seed:{value}\n") : "";
        var material = Encoding.UTF8.GetBytes($"{modelPart}{seed}\n{CanonicalJson.SerializeToString(root)}\n{instructions}");
        _random = new DeterministicRandom(SHA256.HashData(material));
        var words = WordPattern().Matches(instructions)
            .Select(match => match.Value.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .Take(MaxWords)
            .ToArray();
        _words = words.Length >= 3 ? words : [.. words, .. s_fallbackWords];
    }

    /// <summary>
    /// An artifact that satisfies <paramref name="schema"/>, derived from the instructions, the <c>seed</c> setting
    /// and the run's <c>model.seed</c> (when it has one).
    /// </summary>
    public static JsonNode? Generate(JsonNode? schema, string instructions, string seed, long? modelSeed = null) =>
        new MockArtifactGenerator(schema, instructions, seed, modelSeed).Value(schema, "artifact", 0);

    /// <summary>
    /// A schema-invalid variant of <paramref name="artifact"/>: without its first required property when the schema
    /// requires any, else a value of a type the schema does not allow. Returns the artifact unchanged only when the
    /// schema accepts anything.
    /// </summary>
    public static JsonNode? Invalidate(JsonNode? artifact, JsonNode? schema)
    {
        var generator = new MockArtifactGenerator(schema, "", "", null);
        var root = generator.Flatten(schema, 0);
        if (artifact is JsonObject obj && root is JsonObject rootSchema && Strings(rootSchema["required"]).FirstOrDefault(obj.ContainsKey) is { } required)
        {
            var copy = obj.DeepClone().AsObject();
            copy.Remove(required);
            return copy;
        }

        var allowed = root is JsonObject typed ? AllowedTypes(typed) : null;
        JsonNode?[] candidates = [JsonValue.Create("invalid"), JsonValue.Create(0.5m), new JsonArray(), new JsonObject(), JsonValue.Create(false)];
        foreach (var candidate in candidates)
        {
            var kind = TypeName(candidate);
            // 0.5 is a number but not an integer, so it is wrong for both "integer" and any non-numeric type.
            if (allowed is not null && !allowed.Contains(kind))
            {
                return candidate;
            }
        }

        if (root is JsonObject constrained && (constrained["enum"] is JsonArray || constrained.ContainsKey("const")))
        {
            return JsonValue.Create("not-one-of-the-allowed-values");
        }

        return artifact?.DeepClone();
    }

    private JsonNode? Value(JsonNode? schema, string name, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        var flat = Flatten(schema, depth);
        if (flat is not JsonObject s)
        {
            // true or {}-like: anything is valid; false: nothing is, so this is as good as any.
            return Text(name, null);
        }

        if (s.TryGetPropertyValue("const", out var constant))
        {
            return constant?.DeepClone();
        }

        if (s["enum"] is JsonArray { Count: > 0 } choices)
        {
            return choices[_random.Index(choices.Count)]?.DeepClone();
        }

        return TypeOf(s) switch
        {
            "object" => Object(s, depth),
            "array" => Array(s, name, depth),
            "integer" => Integer(s),
            "number" => Number(s),
            "boolean" => JsonValue.Create(_random.Between(0, 1) == 1),
            "null" => null,
            _ => String(s, name),
        };
    }

    /// <summary>The schema with <c>$ref</c> resolved, <c>allOf</c> merged in and the first <c>oneOf</c>/<c>anyOf</c> alternative taken.</summary>
    private JsonNode? Flatten(JsonNode? schema, int depth)
    {
        for (var hops = 0; schema is JsonObject { } reference && reference["$ref"] is JsonValue target && hops < MaxDepth; hops++)
        {
            schema = target.TryGetValue<string>(out var pointer) ? Resolve(pointer) : null;
        }

        if (schema is not JsonObject s || depth > MaxDepth)
        {
            return schema;
        }

        var parts = new List<JsonNode?>();
        if (s["allOf"] is JsonArray all)
        {
            parts.AddRange(all);
        }

        foreach (var keyword in (string[])["oneOf", "anyOf"])
        {
            if (s[keyword] is JsonArray { Count: > 0 } alternatives)
            {
                parts.Add(alternatives[0]);
            }
        }

        if (parts.Count == 0)
        {
            return s;
        }

        var merged = new JsonObject();
        foreach (var (key, value) in s)
        {
            if (key is not ("allOf" or "oneOf" or "anyOf"))
            {
                merged[key] = value?.DeepClone();
            }
        }

        foreach (var part in parts)
        {
            if (Flatten(part, depth + 1) is JsonObject flatPart)
            {
                Merge(merged, flatPart);
            }
        }

        return merged;
    }

    private static void Merge(JsonObject into, JsonObject from)
    {
        foreach (var (key, value) in from)
        {
            if (key == "properties" && value is JsonObject properties)
            {
                if (into["properties"] is not JsonObject target)
                {
                    target = [];
                    into["properties"] = target;
                }

                foreach (var (property, propertySchema) in properties)
                {
                    target[property] ??= propertySchema?.DeepClone();
                }
            }
            else if (key == "required" && value is JsonArray required)
            {
                var union = Strings(into["required"]).Union(Strings(required), StringComparer.Ordinal).ToArray();
                into["required"] = new JsonArray([.. union.Select(item => (JsonNode?)JsonValue.Create(item))]);
            }
            else if (!into.ContainsKey(key))
            {
                into[key] = value?.DeepClone();
            }
        }
    }

    private JsonNode? Resolve(string reference)
    {
        if (!reference.StartsWith('#'))
        {
            return null;
        }

        var node = _root;
        foreach (var segment in Uri.UnescapeDataString(reference[1..]).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject obj => obj[key],
                JsonArray array when int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => null,
            };
        }

        return node;
    }

    private JsonObject Object(JsonObject s, int depth)
    {
        var result = new JsonObject();
        var properties = s["properties"] as JsonObject ?? [];
        var required = Strings(s["required"]).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, propertySchema) in properties)
        {
            if (required.Contains(name) || depth < OptionalPropertiesDepth)
            {
                result[name] = Value(propertySchema, name, depth + 1);
            }
        }

        foreach (var name in required.Where(name => !result.ContainsKey(name)).Order(StringComparer.Ordinal))
        {
            var additional = s["additionalProperties"] is JsonObject schema ? schema : null;
            result[name] = Value(additional, name, depth + 1);
        }

        return result;
    }

    private JsonArray Array(JsonObject s, string name, int depth)
    {
        var result = new JsonArray();
        if (s["items"] is JsonArray tuple)
        {
            for (var i = 0; i < tuple.Count; i++)
            {
                result.Add(Value(tuple[i], name, depth + 1));
            }

            return result;
        }

        var min = (int)Math.Clamp(Number(s["minItems"]) ?? 0, 0, 1000);
        var max = (int)Math.Clamp(Number(s["maxItems"]) ?? min + 3, min, 1000);
        var preferred = Math.Min(Math.Max(min, 1), max);
        var count = depth >= OptionalPropertiesDepth ? min : (int)_random.Between(preferred, Math.Min(max, preferred + 2));
        var unique = s["uniqueItems"] is JsonValue flag && flag.TryGetValue<bool>(out var isUnique) && isUnique;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var tries = 0; result.Count < count && tries < count * 8; tries++)
        {
            var item = Value(s["items"], name, depth + 1);
            if (!unique || seen.Add(CanonicalJson.SerializeToString(item)))
            {
                result.Add(item);
            }
        }

        return result;
    }

    private JsonValue Integer(JsonObject s)
    {
        var (lo, hi) = Bounds(s, integer: true);
        var value = lo >= hi ? lo : _random.Between((long)lo, (long)hi);
        if (Number(s["multipleOf"]) is > 0 and var step)
        {
            var first = Math.Ceiling(lo / step);
            var last = Math.Floor(hi / step);
            var start = first + _random.Between(0, (long)Math.Clamp(last - first, 0, 1_000_000));
            // k·step must itself be an integer (a fractional multipleOf on an integer): look a little further if not.
            foreach (var k in Enumerable.Range(0, 1000).Select(i => start + i).Concat(Enumerable.Range(0, 1000).Select(i => first + i)))
            {
                if (k <= last && k * step == decimal.Truncate(k * step))
                {
                    return JsonValue.Create((long)(k * step));
                }
            }
        }

        return JsonValue.Create((long)value);
    }

    private JsonValue Number(JsonObject s)
    {
        var (lo, hi) = Bounds(s, integer: false);
        var loExclusive = s["exclusiveMinimum"] is not null && !IsFalse(s["exclusiveMinimum"]);
        var hiExclusive = s["exclusiveMaximum"] is not null && !IsFalse(s["exclusiveMaximum"]);
        if (Number(s["multipleOf"]) is > 0 and var step)
        {
            var first = Math.Ceiling(lo / step);
            var last = Math.Floor(hi / step);
            if (loExclusive && first * step <= lo)
            {
                first++;
            }

            if (hiExclusive && last * step >= hi)
            {
                last--;
            }

            if (first <= last)
            {
                var k = first + _random.Between(0, (long)Math.Min(last - first, 1_000_000));
                return JsonValue.Create(Normalize(k * step));
            }
        }

        var value = Math.Round(lo + (_random.Fraction() * (hi - lo)), 2);
        if (value < lo || value > hi || (loExclusive && value <= lo) || (hiExclusive && value >= hi))
        {
            value = (lo + hi) / 2;
        }

        return JsonValue.Create(Normalize(value));
    }

    /// <summary>The inclusive range a number may take; integers get integral bounds.</summary>
    private static (decimal Lo, decimal Hi) Bounds(JsonObject s, bool integer)
    {
        decimal? lo = Number(s["minimum"]);
        decimal? hi = Number(s["maximum"]);
        if (Number(s["exclusiveMinimum"]) is { } exclusiveMin)
        {
            lo = integer ? Math.Floor(exclusiveMin) + 1 : exclusiveMin;
        }
        else if (integer && lo is { } min && IsTrue(s["exclusiveMinimum"]))
        {
            lo = Math.Floor(min) + 1; // draft 4 boolean form
        }

        if (Number(s["exclusiveMaximum"]) is { } exclusiveMax)
        {
            hi = integer ? Math.Ceiling(exclusiveMax) - 1 : exclusiveMax;
        }
        else if (integer && hi is { } max && IsTrue(s["exclusiveMaximum"]))
        {
            hi = Math.Ceiling(max) - 1;
        }

        if (integer)
        {
            lo = lo is { } l ? Math.Ceiling(l) : null;
            hi = hi is { } h ? Math.Floor(h) : null;
        }

        var (from, to) = (lo, hi) switch
        {
            ({ } l, { } h) => (l, h),
            ({ } l, null) => (l, l + DefaultRange),
            (null, { } h) => (Math.Min(0, h - DefaultRange), h),
            _ => (0m, DefaultRange),
        };
        return (Math.Clamp(from, -MaxMagnitude, MaxMagnitude), Math.Clamp(to, -MaxMagnitude, MaxMagnitude));
    }

    private JsonValue String(JsonObject s, string name)
    {
        var format = s["format"] is JsonValue f && f.TryGetValue<string>(out var formatName) ? formatName : null;
        var formatted = format switch
        {
            "date-time" => s_epoch.AddSeconds(_random.Between(0, 365L * 24 * 3600)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            "date" => s_epoch.AddDays(_random.Between(0, 365)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "time" => s_epoch.AddSeconds(_random.Between(0, (24 * 3600) - 1)).ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            "email" => $"{Word()}.{_random.Between(1, 999)}@example.com",
            "uri" or "url" or "iri" => $"https://example.com/{Word()}/{_random.Between(1, 999)}",
            "uri-reference" or "iri-reference" => $"/{Word()}/{_random.Between(1, 999)}",
            "hostname" or "idn-hostname" => $"{Word()}.example.com",
            "ipv4" => $"192.0.2.{_random.Between(1, 254)}",
            "ipv6" => $"2001:db8::{_random.Between(1, 0xffff):x}",
            "uuid" or "guid" => Uuid(),
            _ => null,
        };

        return JsonValue.Create(formatted ?? Text(name, s))!;
    }

    private string Text(string name, JsonObject? s)
    {
        var min = (int)Math.Clamp(s is null ? 0 : Number(s["minLength"]) ?? 0, 0, 100_000);
        var max = (int)Math.Clamp(s is null ? 200 : Number(s["maxLength"]) ?? Math.Max(min, 200), min, 100_000);
        var text = new StringBuilder(name);
        text.Append(':');
        var words = _random.Between(3, 8);
        for (var i = 0; i < words || text.Length < min; i++)
        {
            text.Append(' ').Append(Word());
        }

        return text.Length > max ? text.ToString(0, max) : text.ToString();
    }

    private string Word() => _words[_random.Index(_words.Length)];

    private string Uuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, _random.Next());
        BitConverter.TryWriteBytes(bytes[8..], _random.Next());
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    private static string? TypeOf(JsonObject s)
    {
        var allowed = AllowedTypes(s);
        if (allowed is not null)
        {
            return allowed.FirstOrDefault(type => type != "null") ?? "null";
        }

        if (s.ContainsKey("properties") || s.ContainsKey("required") || s.ContainsKey("additionalProperties"))
        {
            return "object";
        }

        if (s.ContainsKey("items") || s.ContainsKey("minItems") || s.ContainsKey("maxItems"))
        {
            return "array";
        }

        if (s.ContainsKey("minimum") || s.ContainsKey("maximum") || s.ContainsKey("multipleOf")
            || s.ContainsKey("exclusiveMinimum") || s.ContainsKey("exclusiveMaximum"))
        {
            return "number";
        }

        return "string";
    }

    private static List<string>? AllowedTypes(JsonObject s) => s["type"] switch
    {
        JsonValue single when single.TryGetValue<string>(out var type) => [type],
        JsonArray many => [.. Strings(many)],
        _ => null,
    };

    private static string TypeName(JsonNode? node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "null",
    };

    private static IEnumerable<string> Strings(JsonNode? node) =>
        node is JsonArray array
            ? array.OfType<JsonValue>().Select(item => item.TryGetValue<string>(out var text) ? text : null).OfType<string>()
            : [];

    private static decimal? Number(JsonNode? node) => JsonNumbers.AsDecimal(node);

    private static bool IsTrue(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.True;

    private static bool IsFalse(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.False;

    /// <summary>Drops trailing zeros (<c>12.50</c> → <c>12.5</c>).</summary>
    private static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;

    [GeneratedRegex("[A-Za-z][A-Za-z0-9]{2,}")]
    private static partial Regex WordPattern();
}
