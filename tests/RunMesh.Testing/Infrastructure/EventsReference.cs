using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// docs/events.md read as data: the event types its headings name, and its examples, each with the field table before
/// it (field → whether its row says it may be absent). Tests hold the page to <c>RunEventTypes</c> and to the events a
/// real run writes.
/// </summary>
public sealed partial class EventsReference
{
    /// <summary>The page, relative to the repository root.</summary>
    public const string RelativePath = "docs/events.md";

    private EventsReference(IReadOnlySet<string> headings, IReadOnlyList<EventExample> examples)
    {
        Headings = headings;
        Examples = examples;
    }

    /// <summary>Every name in backticks in a heading.</summary>
    public IReadOnlySet<string> Headings { get; }

    /// <summary>Every <c>```json</c> example, in page order.</summary>
    public IReadOnlyList<EventExample> Examples { get; }

    /// <summary>Reads the committed page.</summary>
    public static EventsReference Load() =>
        Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, RelativePath)).ReplaceLineEndings("\n"));

    /// <summary>Reads <paramref name="markdown"/>.</summary>
    public static EventsReference Parse(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var headings = new HashSet<string>(StringComparer.Ordinal);
        var examples = new List<EventExample>();
        Dictionary<string, bool>? table = null;
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith('#'))
            {
                foreach (Match name in CodeSpan().Matches(line))
                {
                    headings.Add(name.Groups[1].Value);
                }
            }
            else if (line.StartsWith("| field |", StringComparison.Ordinal))
            {
                table = [];
                for (i += 2; i < lines.Length && lines[i].StartsWith('|'); i++)
                {
                    var cells = lines[i].Split('|', StringSplitOptions.TrimEntries);
                    var mayBeAbsent = lines[i].Contains("*absent*", StringComparison.Ordinal);
                    foreach (Match name in CodeSpan().Matches(cells[1]))
                    {
                        table[name.Groups[1].Value] = mayBeAbsent;
                    }
                }
            }
            else if (line == "```json")
            {
                var end = Array.IndexOf(lines, "```", i + 1);
                var envelope = JsonNode.Parse(string.Join('\n', lines[(i + 1)..end]))!.AsObject();
                examples.Add(new EventExample(envelope["type"]!.GetValue<string>(), envelope, table));
                i = end;
            }
        }

        return new EventsReference(headings, examples);
    }

    /// <summary>
    /// What is wrong with <paramref name="item"/> (an event as the API lists it, or an example) against the page: a type
    /// without an example, a payload field the type's table does not list, a field it lists as always there that is
    /// missing. Empty when it matches.
    /// </summary>
    public IReadOnlyList<string> ProblemsWith(JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var type = item["type"]?.GetValue<string>() ?? "(no type)";
        var example = Examples.FirstOrDefault(e => e.Type == type);
        if (example?.Table is not { } table)
        {
            return [$"`{type}` has no example with a field table in {RelativePath}"];
        }

        if (item["payload"] is not JsonObject payload)
        {
            return [$"`{type}` #{item["seq"]}: the payload is not an object"];
        }

        var written = payload.Select(p => p.Key).ToList();
        return
        [
            .. written.Where(field => !table.ContainsKey(field)).Select(field => $"`{type}` #{item["seq"]}: field `{field}` is not in its table"),
            .. table.Where(row => !row.Value && !written.Contains(row.Key)).Select(row => $"`{type}` #{item["seq"]}: field `{row.Key}` is missing"),
        ];
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();
}

/// <summary>One example of docs/events.md: its type, the whole event, and the field table before it.</summary>
/// <param name="Type">The example's <c>type</c>.</param>
/// <param name="Envelope">The example as written: <c>{seq, type, at, payload}</c>.</param>
/// <param name="Table">The fields of the table before it (field → may be absent); <see langword="null"/> when none precedes it.</param>
public sealed record EventExample(string Type, JsonObject Envelope, IReadOnlyDictionary<string, bool>? Table);
