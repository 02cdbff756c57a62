using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Cli.Configuration;

/// <summary>
/// <c>key=value</c> options (<c>--input</c>, <c>--model</c>, <c>--label</c>). Input and model values are JSON-typed: a
/// value that parses as JSON is taken as that JSON (<c>3</c>, <c>true</c>, <c>null</c>, <c>"quoted"</c>, <c>[1,2]</c>,
/// <c>{"a":1}</c>), anything else as a string (<c>tone=formal</c>). The key is everything before the first <c>=</c>.
/// </summary>
internal static class KeyValueArguments
{
    /// <summary>Splits <c>key=value</c> at the first <c>=</c>.</summary>
    public static (string Key, string Value) Split(string argument, string option)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new UsageException($"{option} takes key=value; got '{argument}'.");
        }

        return (argument[..equals], argument[(equals + 1)..]);
    }

    /// <summary>A JSON value for <paramref name="text"/>: its JSON when it is JSON, else the string itself.</summary>
    public static JsonNode? JsonTyped(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>
    /// An object from <paramref name="baseObject"/> (e.g. <c>--inputs-file</c>) with every <c>key=value</c> of
    /// <paramref name="arguments"/> set on top, JSON-typed; a later repetition of a key wins.
    /// </summary>
    public static JsonObject Merge(JsonObject? baseObject, IEnumerable<string> arguments, string option)
    {
        var result = baseObject ?? [];
        foreach (var argument in arguments)
        {
            var (key, value) = Split(argument, option);
            result[key] = JsonTyped(value);
        }

        return result;
    }

    /// <summary>Labels: every value a string.</summary>
    public static JsonObject Labels(IEnumerable<string> arguments)
    {
        var labels = new JsonObject();
        foreach (var argument in arguments)
        {
            var (key, value) = Split(argument, "--label");
            labels[key] = value;
        }

        return labels;
    }

    /// <summary>Reads a JSON object from a file (<c>--inputs-file</c>).</summary>
    public static JsonObject ReadObjectFile(string path, string option)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot read {path}: {exception.Message}");
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new UsageException($"{option}: {path} must hold a JSON object.");
        }
        catch (JsonException exception)
        {
            throw new UsageException($"{option}: {path} is not valid JSON: {exception.Message}");
        }
    }
}
