using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace RunMesh.Hosting.Documents;

/// <summary>
/// Turns one YAML document into JSON, the way a JSON user expects: plain scalars that look like numbers, booleans or
/// null (YAML 1.2 core schema: <c>12</c>, <c>0x1f</c>, <c>1.5e3</c>, <c>true</c>, <c>null</c>, <c>~</c>) become those JSON
/// values; quoted and block scalars stay strings. Refused: anchors and aliases (an alias bomb expands exponentially),
/// tags other than the core ones (<c>!!str</c>, <c>!!int</c>, …), several documents, non-scalar keys, duplicate keys,
/// <c>.inf</c>/<c>.nan</c>, and nesting deeper than the caller's limit. How large a text may be is the caller's limit
/// too (<see cref="ObjectDocument.Parse"/> checks it before anything is parsed).
/// </summary>
public static partial class YamlJson
{
    private const string CoreTagPrefix = "tag:yaml.org,2002:";

    private static readonly HashSet<string> s_coreTags = new(StringComparer.Ordinal)
    {
        CoreTagPrefix + "str", CoreTagPrefix + "int", CoreTagPrefix + "float", CoreTagPrefix + "bool",
        CoreTagPrefix + "null", CoreTagPrefix + "map", CoreTagPrefix + "seq", "!",
    };

    /// <summary>Converts <paramref name="text"/>; on failure adds the problems and returns <see langword="null"/>.</summary>
    /// <param name="text">One YAML document.</param>
    /// <param name="maxDepth">The deepest nesting of mappings and sequences accepted.</param>
    /// <param name="problems">Where every problem found is added, each with path <c>$</c> or the path of the value.</param>
    public static JsonNode? Convert(string text, int maxDepth, List<ValidationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(problems);

        // The event scan runs first so that nothing is built from a document we refuse (and deep nesting never
        // reaches the representation model's recursive loader).
        if (!Scan(text, maxDepth, problems))
        {
            return null;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            problems.Add(new ValidationProblem("$", $"invalid YAML: {SyntaxErrors.OfYaml(ex)}"));
            return null;
        }
        catch (ArgumentException ex)
        {
            problems.Add(new ValidationProblem("$", $"invalid YAML: {ex.Message}"));
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            problems.Add(new ValidationProblem("$", "the YAML text is empty"));
            return null;
        }

        return ToJson(stream.Documents[0].RootNode, "$", problems);
    }

    private static bool Scan(string text, int maxDepth, List<ValidationProblem> problems)
    {
        var before = problems.Count;
        var documents = 0;
        var depth = 0;
        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case DocumentStart:
                        if (++documents > 1)
                        {
                            Add(problems, current, "expected one YAML document; found a second one");
                            return false;
                        }

                        break;
                    case AnchorAlias alias:
                        Add(problems, current, $"aliases (*{alias.Value}) are not allowed");
                        break;
                    case MappingStart or SequenceStart when ++depth > maxDepth:
                        Add(problems, current, $"nested deeper than {maxDepth} levels");
                        return false;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }

                if (current is NodeEvent node)
                {
                    if (!node.Anchor.IsEmpty)
                    {
                        Add(problems, current, $"anchors (&{node.Anchor.Value}) are not allowed");
                    }

                    if (!node.Tag.IsEmpty && !s_coreTags.Contains(node.Tag.Value))
                    {
                        Add(problems, current, $"the tag {node.Tag.Value} is not allowed (only YAML's core tags such as !!str)");
                    }
                }
            }
        }
        catch (YamlException ex)
        {
            problems.Add(new ValidationProblem("$", $"invalid YAML: {SyntaxErrors.OfYaml(ex)}"));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) when the text ends inside an unclosed flow
            // collection, e.g. "name: [a"; it was a 500.
            problems.Add(new ValidationProblem("$", $"invalid YAML: {EndOf(text)}: the text ends before an open [ or {{ is closed"));
        }

        return problems.Count == before;
    }

    private static void Add(List<ValidationProblem> problems, ParsingEvent at, string message) =>
        problems.Add(new ValidationProblem("$", $"{SyntaxErrors.At(at.Start)}: {message}"));

    /// <summary>The line and column just after the last character of <paramref name="text"/>.</summary>
    private static string EndOf(string text)
    {
        var lastLine = text.TrimEnd('\n').Split('\n')[^1];
        var line = text.TrimEnd('\n').Count(c => c == '\n') + 1;
        return string.Create(CultureInfo.InvariantCulture, $"line {line}, column {lastLine.Length + 1}");
    }

    private static JsonNode? ToJson(YamlNode node, string path, List<ValidationProblem> problems)
    {
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        switch (node)
        {
            case YamlMappingNode mapping:
                RequireTag(tag, "map", node, path, problems);
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        problems.Add(new ValidationProblem(path, $"{SyntaxErrors.At(keyNode.Start)}: keys must be plain strings"));
                        continue;
                    }

                    var childPath = $"{path}.{key}";
                    if (obj.ContainsKey(key))
                    {
                        problems.Add(new ValidationProblem(childPath, $"{SyntaxErrors.At(keyNode.Start)}: duplicate key"));
                        continue;
                    }

                    obj[key] = ToJson(valueNode, childPath, problems);
                }

                return obj;
            case YamlSequenceNode sequence:
                RequireTag(tag, "seq", node, path, problems);
                var array = new JsonArray();
                var index = 0;
                foreach (var item in sequence.Children)
                {
                    array.Add(ToJson(item, $"{path}[{index++}]", problems));
                }

                return array;
            case YamlScalarNode scalar:
                return ScalarToJson(scalar, tag, path, problems);
            default:
                problems.Add(new ValidationProblem(path, $"{SyntaxErrors.At(node.Start)}: unsupported YAML node"));
                return null;
        }
    }

    private static void RequireTag(string? tag, string expected, YamlNode node, string path, List<ValidationProblem> problems)
    {
        if (tag is not null && tag != "!" && tag != CoreTagPrefix + expected)
        {
            problems.Add(new ValidationProblem(path, $"{SyntaxErrors.At(node.Start)}: the tag {tag} does not fit a {(expected == "map" ? "mapping" : "sequence")}"));
        }
    }

    private static JsonNode? ScalarToJson(YamlScalarNode scalar, string? tag, string path, List<ValidationProblem> problems)
    {
        var text = scalar.Value ?? string.Empty;
        var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        if ((tag is null && !plain) || tag is "!" || tag == CoreTagPrefix + "str")
        {
            return JsonValue.Create(text);
        }

        if (tag is CoreTagPrefix + "map" or CoreTagPrefix + "seq")
        {
            problems.Add(new ValidationProblem(path, $"{SyntaxErrors.At(scalar.Start)}: the tag {tag} does not fit a scalar"));
            return null;
        }

        var (value, kind) = Resolve(text);
        if (kind == ScalarKind.NotFinite)
        {
            problems.Add(new ValidationProblem(path, $"{SyntaxErrors.At(scalar.Start)}: {text} has no JSON form (a number must be finite)"));
            return null;
        }

        if (tag is not null && tag != CoreTagPrefix + KindTag(kind))
        {
            problems.Add(new ValidationProblem(path, $"{SyntaxErrors.At(scalar.Start)}: \"{text}\" is not a valid {tag}"));
            return null;
        }

        return value;
    }

    private enum ScalarKind
    {
        Str,
        Null,
        Bool,
        Int,
        Float,
        NotFinite,
    }

    private static string KindTag(ScalarKind kind) => kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Bool => "bool",
        ScalarKind.Int => "int",
        ScalarKind.Float => "float",
        _ => "str",
    };

    /// <summary>YAML 1.2 core schema resolution of a plain scalar.</summary>
    private static (JsonNode? Value, ScalarKind Kind) Resolve(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return (null, ScalarKind.Null);
            case "true" or "True" or "TRUE":
                return (JsonValue.Create(true), ScalarKind.Bool);
            case "false" or "False" or "FALSE":
                return (JsonValue.Create(false), ScalarKind.Bool);
        }

        if (DecimalInteger().IsMatch(text))
        {
            return Integer(BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && HexDigits().IsMatch(text[2..]))
        {
            // A leading zero keeps BigInteger from reading the top bit as a sign.
            return Integer(BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }

        if (text.StartsWith("0o", StringComparison.Ordinal) && OctalDigits().IsMatch(text[2..]))
        {
            var octal = text[2..].Aggregate(BigInteger.Zero, (acc, digit) => (acc * 8) + (digit - '0'));
            return Integer(octal);
        }

        if (Float().IsMatch(text))
        {
            var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            return double.IsFinite(number)
                ? (JsonNode.Parse(number.ToString("R", CultureInfo.InvariantCulture)), ScalarKind.Float)
                : (null, ScalarKind.NotFinite);
        }

        if (NotFinite().IsMatch(text))
        {
            return (null, ScalarKind.NotFinite);
        }

        return (JsonValue.Create(text), ScalarKind.Str);
    }

    private static (JsonNode? Value, ScalarKind Kind) Integer(BigInteger value) =>
        double.IsFinite((double)value)
            ? (JsonNode.Parse(value.ToString(CultureInfo.InvariantCulture)), ScalarKind.Int)
            : (null, ScalarKind.NotFinite);

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalInteger();

    [GeneratedRegex("^[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HexDigits();

    [GeneratedRegex("^[0-7]+$", RegexOptions.CultureInvariant)]
    private static partial Regex OctalDigits();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();

    [GeneratedRegex(@"^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", RegexOptions.CultureInvariant)]
    private static partial Regex NotFinite();
}
