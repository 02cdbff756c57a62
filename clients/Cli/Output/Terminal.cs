using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RunMesh.Cli.Output;

/// <summary>
/// How the CLI writes: JSON documents as the API sent them, tables for people, plain lines (no ANSI codes) when
/// standard output is not a terminal. Errors go to standard error.
/// </summary>
internal static class Terminal
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Whether live views may redraw: stdout is a terminal and <c>NO_COLOR</c>/<c>TERM=dumb</c> do not say otherwise.</summary>
    public static bool IsInteractive =>
        !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("TERM") != "dumb"
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && AnsiConsole.Profile.Capabilities.Ansi;

    /// <summary>Prepares Spectre's console: a wide, plain console when stdout is redirected, so tables are not squeezed to 80 columns.</summary>
    public static void Configure()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(Console.Out),
            });
            AnsiConsole.Profile.Width = 250;
        }
    }

    /// <summary>Writes one JSON document (or one NDJSON line) exactly as the API sent it.</summary>
    public static void Json(string text) => Console.Out.WriteLine(text.TrimEnd('\n', '\r'));

    /// <summary>Writes a plain line.</summary>
    public static void Line(string text) => Console.Out.WriteLine(text);

    /// <summary>Writes a line to standard error.</summary>
    public static void Error(string text) => Console.Error.WriteLine(text);

    /// <summary>JSON indented for reading.</summary>
    public static string Pretty(JsonNode? node) => node?.ToJsonString(s_indented) ?? "null";

    /// <summary>A table with the given column headers.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        return table;
    }

    /// <summary>Adds a row of plain text cells (never read as markup).</summary>
    public static void Row(this Table table, params string?[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c ?? "")).ToArray());

    /// <summary>Writes a renderable (a table) to stdout.</summary>
    public static void Write(IRenderable renderable) => AnsiConsole.Write(renderable);

    /// <summary>A string value of a JSON node, or empty.</summary>
    public static string Str(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    /// <summary>A timestamp of the API in UTC, to the second (<c>2026-11-23 07:20:01Z</c>), or empty.</summary>
    public static string When(JsonNode? node) =>
        DateTimeOffset.TryParse(Str(node), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ssZ", CultureInfo.InvariantCulture)
            : "";

    /// <summary>A duration as people read it: <c>850 ms</c>, <c>12.3 s</c>, <c>4m 05s</c>, <c>2h 03m</c>.</summary>
    public static string Duration(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => $"{duration.TotalMilliseconds:0} ms",
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes}m {duration.Seconds:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}h {duration.Minutes:00}m"),
    };

    /// <summary>The duration between two API timestamps (the second defaulting to now), or empty.</summary>
    public static string Between(JsonNode? start, JsonNode? end)
    {
        if (!DateTimeOffset.TryParse(Str(start), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var from))
        {
            return "";
        }

        var to = DateTimeOffset.TryParse(Str(end), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : DateTimeOffset.UtcNow;
        return Duration(to - from);
    }
}
