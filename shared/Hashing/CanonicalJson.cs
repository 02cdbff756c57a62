using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Hashing;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785): one byte sequence for every JSON value, whatever its key order,
/// whitespace, escapes or number spelling. Templates, input bundles, artifacts and manifests are hashed over
/// these bytes (see <see cref="Digest"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Object members are sorted by their names' UTF-16 code units (ordinal); duplicate names are an error.</item>
/// <item>There is no whitespace between tokens.</item>
/// <item>Strings escape only <c>"</c>, <c>\</c> and control characters (<c>\b \f \n \r \t</c>, else <c>\u00xx</c>);
/// everything else, non-ASCII included, is written as literal UTF-8.</item>
/// <item>Numbers are read as IEEE-754 doubles and written as ECMAScript writes them: <c>4.50</c> becomes <c>4.5</c>,
/// <c>1E30</c> becomes <c>1e+30</c>, and integers beyond 2^53 lose precision (9007199254740993 becomes 9007199254740992).
/// NaN and Infinity, or numbers too large for a double, are errors.</item>
/// </list>
/// Every failure is a <see cref="CanonicalJsonException"/>.
/// </remarks>
public static class CanonicalJson
{
    // Deeper than any template, artifact or manifest we accept; bounds the recursion below.
    private const int MaxDepth = 256;

    // Throws on lone surrogates instead of silently writing U+FFFD, which would make two different inputs hash alike.
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly JsonDocumentOptions s_parseOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Serializes a JSON node to its canonical UTF-8 bytes.</summary>
    /// <param name="node">The value; <see langword="null"/> is the JSON literal <c>null</c>.
    /// A value holding a .NET type other than string or double (int, decimal, DateTime…) counts as the JSON that
    /// System.Text.Json writes for it by default, e.g. <c>1.10m</c> as <c>1.1</c>.
    /// A C# string converts implicitly to a JSON <em>string value</em>: to canonicalize JSON text, use <see cref="Canonicalize(string)"/>.</param>
    /// <exception cref="CanonicalJsonException">The node holds NaN, Infinity, an invalid string or a value with no JSON form.</exception>
    public static byte[] Serialize(JsonNode? node) => ToUtf8(SerializeToString(node));

    /// <summary>Serializes a JSON element to its canonical UTF-8 bytes.</summary>
    /// <exception cref="CanonicalJsonException">The element has a duplicate property name, an out-of-range number or an invalid string.</exception>
    public static byte[] Serialize(JsonElement element) => ToUtf8(SerializeToString(element));

    /// <summary>Serializes a JSON node to its canonical form, as a string.</summary>
    /// <inheritdoc cref="Serialize(JsonNode?)"/>
    public static string SerializeToString(JsonNode? node)
    {
        var writer = new CanonicalWriter();
        writer.WriteNode(node);
        return writer.ToString();
    }

    /// <summary>Serializes a JSON element to its canonical form, as a string.</summary>
    /// <inheritdoc cref="Serialize(JsonElement)"/>
    public static string SerializeToString(JsonElement element)
    {
        var writer = new CanonicalWriter();
        writer.WriteValue(element);
        return writer.ToString();
    }

    /// <summary>Parses UTF-8 JSON text and returns its canonical UTF-8 bytes.</summary>
    /// <param name="utf8Json">One JSON value (RFC 8259: no comments, no trailing commas, no byte order mark).</param>
    /// <exception cref="CanonicalJsonException">The text is not valid JSON, or it has a duplicate property name, an out-of-range number or an invalid string.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json) => ToUtf8(CanonicalizeToString(utf8Json.ToArray()));

    /// <summary>Parses JSON text and returns its canonical form, as a string.</summary>
    /// <param name="json">One JSON value (RFC 8259: no comments, no trailing commas).</param>
    /// <exception cref="CanonicalJsonException">The text is not valid JSON, or it has a duplicate property name, an out-of-range number or an invalid string.</exception>
    public static string Canonicalize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);

        byte[] utf8Json;
        try
        {
            utf8Json = s_strictUtf8.GetBytes(json);
        }
        catch (EncoderFallbackException ex)
        {
            throw new CanonicalJsonException("The JSON text contains a lone UTF-16 surrogate.", ex);
        }

        return CanonicalizeToString(utf8Json);
    }

    private static string CanonicalizeToString(ReadOnlyMemory<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, s_parseOptions);
        }
        catch (JsonException ex)
        {
            throw new CanonicalJsonException($"The input is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            return SerializeToString(document.RootElement);
        }
    }

    // The canonical string never holds a lone surrogate (CanonicalWriter rejects them), so this cannot throw.
    private static byte[] ToUtf8(string canonical) => s_strictUtf8.GetBytes(canonical);

    /// <summary>Writes one JSON tree (nodes or elements) in canonical form, tracking the JSON path for error messages.</summary>
    private sealed class CanonicalWriter
    {
        private readonly StringBuilder _output = new();

        // Property names (string) and array indexes (int) from the root to the value being written.
        private readonly List<object> _path = [];

        public override string ToString() => _output.ToString();

        public void WriteNode(JsonNode? node)
        {
            EnterValue();
            switch (node)
            {
                case null:
                    _output.Append("null");
                    break;
                case JsonObject obj:
                    WriteObject(obj.Select(member => (member.Key, member.Value)), WriteNode);
                    break;
                case JsonArray array:
                    WriteArray(array, WriteNode);
                    break;
                case JsonValue value:
                    WriteLeaf(value);
                    break;
                default:
                    throw Fail($"A JSON node of type {node.GetType().Name} has no JSON form");
            }
        }

        public void WriteValue(JsonElement element)
        {
            EnterValue();
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    WriteObject(element.EnumerateObject().Select(property => (ReadName(property), property.Value)), WriteValue);
                    break;
                case JsonValueKind.Array:
                    WriteArray(element.EnumerateArray(), WriteValue);
                    break;
                case JsonValueKind.String:
                    WriteString(ReadString(element));
                    break;
                case JsonValueKind.Number:
                    WriteNumber(element);
                    break;
                case JsonValueKind.True:
                    _output.Append("true");
                    break;
                case JsonValueKind.False:
                    _output.Append("false");
                    break;
                case JsonValueKind.Null:
                    _output.Append("null");
                    break;
                default:
                    throw Fail($"A JSON element of kind {element.ValueKind} has no JSON form");
            }
        }

        private void EnterValue()
        {
            if (_path.Count > MaxDepth)
            {
                throw Fail($"The JSON is nested deeper than {MaxDepth} levels");
            }
        }

        /// <summary>
        /// A JsonValue holds either a parsed JsonElement or a .NET value (int, decimal, DateTime, a POCO…).
        /// Strings and doubles are written directly, so a lone surrogate or NaN is caught here with its path;
        /// any other value takes the JSON form System.Text.Json gives it on the wire, read back as an element.
        /// </summary>
        private void WriteLeaf(JsonValue value)
        {
            if (value.TryGetValue(out JsonElement element))
            {
                WriteValue(element);
                return;
            }

            switch (value.GetValue<object>())
            {
                case string text:
                    WriteString(text);
                    return;
                case double number:
                    WriteDouble(number);
                    return;
            }

            var buffer = new ArrayBufferWriter<byte>();
            try
            {
                using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = MaxDepth });
                value.WriteTo(writer);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException or JsonException)
            {
                // A float NaN or Infinity ends up here too: System.Text.Json refuses to write it as a number.
                throw Fail($"A value of type {value.GetValue<object>().GetType().Name} has no JSON form (NaN or Infinity?)", ex);
            }

            using var document = JsonDocument.Parse(buffer.WrittenMemory, s_parseOptions);
            WriteValue(document.RootElement);
        }

        private void WriteObject<T>(IEnumerable<(string Name, T Value)> members, Action<T> writeValue)
        {
            // Ordinal comparison is comparison by UTF-16 code units, which RFC 8785 §3.2.3 prescribes.
            var sorted = members.ToList();
            sorted.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));

            _output.Append('{');
            for (var i = 0; i < sorted.Count; i++)
            {
                var (name, value) = sorted[i];
                if (i > 0)
                {
                    // Sorted, so a duplicate sits right after its twin; names are compared unescaped ("a" == "\u0061").
                    if (string.Equals(sorted[i - 1].Name, name, StringComparison.Ordinal))
                    {
                        throw Fail($"Duplicate property name \"{name}\"");
                    }

                    _output.Append(',');
                }

                WriteString(name);
                _output.Append(':');
                _path.Add(name);
                writeValue(value);
                _path.RemoveAt(_path.Count - 1);
            }

            _output.Append('}');
        }

        private void WriteArray<T>(IEnumerable<T> items, Action<T> writeValue)
        {
            _output.Append('[');
            var index = 0;
            foreach (var item in items)
            {
                if (index > 0)
                {
                    _output.Append(',');
                }

                _path.Add(index++);
                writeValue(item);
                _path.RemoveAt(_path.Count - 1);
            }

            _output.Append(']');
        }

        private void WriteNumber(JsonElement element)
        {
            // The parser has checked the number grammar; RFC 8785 reads every number as an IEEE-754 double,
            // whatever its spelling (1, 1.0, 1e0) or size. Too large for a double parses as Infinity.
            var raw = JsonMarshal.GetRawUtf8Value(element);
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw Fail($"The number {Encoding.UTF8.GetString(raw)} is outside the range of an IEEE-754 double");
            }

            EcmaScriptNumber.Append(_output, value);
        }

        private void WriteDouble(double value)
        {
            if (!double.IsFinite(value))
            {
                throw Fail($"{value.ToString(CultureInfo.InvariantCulture)} is not a JSON number");
            }

            EcmaScriptNumber.Append(_output, value);
        }

        /// <summary>RFC 8785 §3.2.2.2: escape only what JSON requires, in the short form where there is one.</summary>
        private void WriteString(string value)
        {
            _output.Append('"');
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                switch (c)
                {
                    case '"':
                        _output.Append("\\\"");
                        break;
                    case '\\':
                        _output.Append("\\\\");
                        break;
                    case '\b':
                        _output.Append("\\b");
                        break;
                    case '\f':
                        _output.Append("\\f");
                        break;
                    case '\n':
                        _output.Append("\\n");
                        break;
                    case '\r':
                        _output.Append("\\r");
                        break;
                    case '\t':
                        _output.Append("\\t");
                        break;
                    case < ' ':
                        _output.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                        break;
                    case >= '\uD800' and <= '\uDFFF':
                        // Written as-is only as a pair; a lone surrogate has no UTF-8 form.
                        if (!char.IsHighSurrogate(c) || i + 1 == value.Length || !char.IsLowSurrogate(value[i + 1]))
                        {
                            throw Fail($"A string holds a lone UTF-16 surrogate U+{(int)c:X4}");
                        }

                        _output.Append(c).Append(value[++i]);
                        break;
                    default:
                        _output.Append(c);
                        break;
                }
            }

            _output.Append('"');
        }

        private string ReadString(JsonElement element)
        {
            try
            {
                return element.GetString()!;
            }
            catch (InvalidOperationException ex)
            {
                // Invalid UTF-8, or an escape such as "\ud800" that decodes to a lone surrogate.
                throw Fail("A string is not valid Unicode", ex);
            }
        }

        private string ReadName(JsonProperty property)
        {
            try
            {
                return property.Name;
            }
            catch (InvalidOperationException ex)
            {
                throw Fail("A property name is not valid Unicode", ex);
            }
        }

        private CanonicalJsonException Fail(string problem, Exception? inner = null)
        {
            var message = $"{problem} at {FormatPath()}.";
            return inner is null ? new CanonicalJsonException(message) : new CanonicalJsonException(message, inner);
        }

        /// <summary>The current location as a JSONPath, e.g. <c>$.phases[2]['output schema']</c>.</summary>
        private string FormatPath()
        {
            var path = new StringBuilder("$");
            foreach (var segment in _path)
            {
                switch (segment)
                {
                    case int index:
                        path.Append(CultureInfo.InvariantCulture, $"[{index}]");
                        break;
                    case string name when IsIdentifier(name):
                        path.Append('.').Append(name);
                        break;
                    case string name:
                        path.Append("['").Append(name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
                        break;
                }
            }

            return path.ToString();
        }

        private static bool IsIdentifier(string name) =>
            name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }
}
