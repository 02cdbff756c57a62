using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace RunMesh.Hosting.Documents;

/// <summary>
/// A JSON or YAML syntax error in the words of the person who wrote the text: where (line and column, both counted
/// from 1, the column in characters) and what, without the parser's vocabulary (System.Text.Json's "Change the reader
/// options. LineNumber: 0 | BytePositionInLine: 13", YamlDotNet's "While scanning a plain scalar value").
/// </summary>
public static partial class SyntaxErrors
{
    /// <summary><c>line 1, column 14: a comma after the last member of an object (remove it)</c>.</summary>
    /// <param name="exception">What the JSON reader threw.</param>
    /// <param name="text">The text it read, to count the column in characters; without it the column counts bytes.</param>
    public static string OfJson(JsonException exception, string? text)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var what = JsonMessage(exception.Message);
        if (exception.LineNumber is not { } line)
        {
            return what;
        }

        var column = (exception.BytePositionInLine ?? 0) + 1;
        if (text is not null && LineAt(text, line) is { } lineText)
        {
            column = CharactersIn(lineText, exception.BytePositionInLine ?? 0) + 1;
        }

        return string.Create(CultureInfo.InvariantCulture, $"line {line + 1}, column {column}: {what}");
    }

    /// <summary><c>line 2, column 9: a ',' or ']' is missing in a [ … ] list</c>.</summary>
    public static string OfYaml(YamlException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return $"{At(exception.Start)}: {YamlMessage(exception.Message)}";
    }

    /// <summary><c>line 2, column 9</c> of a YAML position.</summary>
    public static string At(Mark mark) => string.Create(CultureInfo.InvariantCulture, $"line {mark.Line}, column {mark.Column}");

    private static string JsonMessage(string message)
    {
        // The reader's own sentence, without what it appends for developers.
        var text = ReaderSuffix().Replace(message, string.Empty).Trim();
        if (text.Contains("trailing comma", StringComparison.Ordinal))
        {
            return text.Contains("JSON array", StringComparison.Ordinal)
                ? "a comma after the last item of an array (remove it)"
                : "a comma after the last member of an object (remove it)";
        }

        if (text.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
        {
            return "the text ends before every { and [ is closed";
        }

        if (text.StartsWith("The input does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "there is no JSON value";
        }

        if (text.StartsWith("Expected a value, but instead reached end of data", StringComparison.Ordinal)
            || text.StartsWith("Expected end of string, but instead reached end of data", StringComparison.Ordinal))
        {
            return "the text ends in the middle of a value";
        }

        if (text.StartsWith("The maximum configured depth of", StringComparison.Ordinal))
        {
            var depth = Regex.Match(text, "[0-9]+", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)).Value;
            return $"nested deeper than {depth} levels";
        }

        if (QuotedCharacter().Match(text) is { Success: true } quoted)
        {
            var character = quoted.Groups["c"].Value;
            if (text.Contains("is invalid after a single JSON value", StringComparison.Ordinal))
            {
                return $"'{character}' after the end of the JSON value (only one value is allowed)";
            }

            if (text.Contains("is invalid after a value", StringComparison.Ordinal))
            {
                return $"'{character}' where a ',' or the closing }} or ] was expected (a comma missing?)";
            }

            if (character is "'" && text.Contains("invalid start of", StringComparison.Ordinal))
            {
                return "single quotes: JSON strings and names are written in double quotes (\")";
            }

            if (character is "/" && text.Contains("invalid start of", StringComparison.Ordinal))
            {
                return "a comment: JSON has no comments";
            }

            if (text.Contains("is an invalid start of a property name", StringComparison.Ordinal))
            {
                return $"'{character}' where a field name in double quotes was expected";
            }

            if (text.Contains("is an invalid start of a value", StringComparison.Ordinal))
            {
                return $"'{character}' where a value was expected (a string in double quotes, a number, true, false, null, {{ or [)";
            }

            if (text.Contains("is invalid after a property name", StringComparison.Ordinal))
            {
                return $"'{character}' where the ':' after a field name was expected";
            }

            if (text.Contains("is invalid without a matching open", StringComparison.Ordinal))
            {
                return $"'{character}' closes nothing that was opened";
            }

            if (text.Contains("is an invalid end of a number", StringComparison.Ordinal))
            {
                return "a number without a ',', } or ] after it (is a { or [ left open?)";
            }

            if (text.Contains("is invalid within a JSON string", StringComparison.Ordinal))
            {
                return "a character that must be escaped inside a string (a line break or a control character)";
            }
        }

        return text.Length == 0 ? "not valid JSON" : char.ToLowerInvariant(text[0]) + text[1..].TrimEnd('.');
    }

    private static string YamlMessage(string message)
    {
        var text = YamlPosition().Replace(message, string.Empty).Trim().TrimEnd('.');
        var lower = text.ToLowerInvariant();
        if (lower.Contains("did not find expected ',' or ']'", StringComparison.Ordinal))
        {
            return "a ',' or the closing ] is missing in a [ … ] list";
        }

        if (lower.Contains("did not find expected ',' or '}'", StringComparison.Ordinal))
        {
            return "a ',' or the closing } is missing in a { … } mapping";
        }

        if (lower.Contains("found invalid mapping", StringComparison.Ordinal)
            || lower.Contains("mapping values are not allowed in this context", StringComparison.Ordinal))
        {
            return "a 'key: value' where it cannot be: check the indentation, or quote a value that contains ': '";
        }

        if (lower.Contains("quoted scalar", StringComparison.Ordinal)
            && (lower.Contains("found unexpected end of stream", StringComparison.Ordinal) || lower.Contains("found wrong indentation", StringComparison.Ordinal)))
        {
            return "a quoted string is not closed";
        }

        if (lower.Contains("did not find expected key", StringComparison.Ordinal)
            || lower.Contains("did not find expected <document start>", StringComparison.Ordinal))
        {
            return "a line that does not fit the indentation around it";
        }

        if (lower.Contains("could not find expected ':'", StringComparison.Ordinal))
        {
            return "a key without ':' after it";
        }

        if (lower.StartsWith("duplicate key", StringComparison.Ordinal))
        {
            return $"duplicate key '{text["duplicate key".Length..].Trim()}'";
        }

        if (lower.Contains("found character that cannot start any token", StringComparison.Ordinal))
        {
            return "a character that cannot start a value (a tab in the indentation, or an unquoted @ or `)";
        }

        var words = lower.StartsWith("while ", StringComparison.Ordinal) && text.IndexOf(',', StringComparison.Ordinal) is > 0 and var comma
            ? text[(comma + 1)..].Trim()
            : text;
        return words.Length == 0 ? "not valid YAML" : char.ToLowerInvariant(words[0]) + words[1..];
    }

    private static string? LineAt(string text, long line)
    {
        var start = 0;
        for (var i = 0L; i < line; i++)
        {
            var next = text.IndexOf('\n', start);
            if (next < 0)
            {
                return null;
            }

            start = next + 1;
        }

        var end = text.IndexOf('\n', start);
        return end < 0 ? text[start..] : text[start..end];
    }

    /// <summary>How many characters of <paramref name="line"/> its first <paramref name="bytes"/> UTF-8 bytes hold.</summary>
    private static long CharactersIn(string line, long bytes)
    {
        long counted = 0;
        var characters = 0L;
        foreach (var rune in line.EnumerateRunes())
        {
            if (counted >= bytes)
            {
                break;
            }

            counted += rune.Utf8SequenceLength;
            characters++;
        }

        return characters + Math.Max(0, bytes - counted);
    }

    [GeneratedRegex(@"\s*(Path: [^|]*\|\s*)?LineNumber: [0-9]+ \| BytePositionInLine: [0-9]+\.?|\s*Change the reader options\.|\s*which is not supported in this mode", RegexOptions.CultureInvariant)]
    private static partial Regex ReaderSuffix();

    [GeneratedRegex(@"^'(?<c>.{1,4})' ", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedCharacter();

    [GeneratedRegex(@"^\(Line: [0-9]+, Col: [0-9]+, Idx: [0-9]+\) - \(Line: [0-9]+, Col: [0-9]+, Idx: [0-9]+\):\s*", RegexOptions.CultureInvariant)]
    private static partial Regex YamlPosition();
}
