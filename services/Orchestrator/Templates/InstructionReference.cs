using System.Text.RegularExpressions;

namespace RunMesh.Orchestrator.Templates;

/// <summary>What a <c>{{…}}</c> reference points at.</summary>
public enum InstructionReferenceKind
{
    /// <summary><c>{{inputs.NAME}}</c>: a value of the run's inputs.</summary>
    Input,

    /// <summary><c>{{phases.KEY.output}}</c> or <c>{{phases.KEY.output.FIELD…}}</c>: an earlier phase's artifact or a part of it.</summary>
    PhaseOutput,

    /// <summary>
    /// <c>{{item}}</c> or <c>{{item.FIELD…}}</c>: the element (or a part of it) a child run of a <c>run</c> phase's
    /// <c>forEach</c> is started for. Only in a <c>run</c> phase's <c>settings.inputs</c>.
    /// </summary>
    Item,

    /// <summary><c>{{index}}</c>: that element's position in the <c>forEach</c> array (from 0). Only where <see cref="Item"/> is.</summary>
    Index,
}

/// <summary>One <c>{{…}}</c> reference in a phase's instructions or in a <c>run</c> phase's <c>settings.inputs</c>.</summary>
/// <param name="Kind">What it points at.</param>
/// <param name="Name">The input's name or the phase's key; <c>item</c> or <c>index</c> for those kinds.</param>
/// <param name="FieldPath">For a phase output or an item, the field names (or array indexes) below it; empty for the whole value.</param>
/// <param name="Start">Where the reference's <c>{{</c> starts in its text (a character offset).</param>
/// <param name="Length">The reference's length in characters, braces included.</param>
public sealed record InstructionReference(InstructionReferenceKind Kind, string Name, IReadOnlyList<string> FieldPath, int Start, int Length)
{
    /// <summary>The reference as it would be written without whitespace, e.g. <c>phases.spec.output.title</c>.</summary>
    public string Path => Kind switch
    {
        InstructionReferenceKind.Input => $"inputs.{Name}",
        InstructionReferenceKind.PhaseOutput => $"phases.{Name}.output{Fields}",
        InstructionReferenceKind.Item => $"item{Fields}",
        _ => "index",
    };

    private string Fields => string.Concat(FieldPath.Select(f => "." + f));
}

/// <summary>
/// Finds the <c>{{…}}</c> references in instructions. Only <c>{{inputs.NAME}}</c>, <c>{{phases.KEY.output}}</c> and
/// <c>{{phases.KEY.output.FIELD[.SUB…]}}</c> are references (whitespace inside the braces is ignored); a <c>run</c>
/// phase's <c>settings.inputs</c> may also use <c>{{item[.FIELD…]}}</c> and <c>{{index}}</c>. Anything else in double
/// braces, or a <c>{{</c> that is never closed, is a problem. Nothing is evaluated.
/// </summary>
public static partial class InstructionReferences
{
    /// <summary>Reads every reference in <paramref name="instructions"/>, and a problem for each malformed one.</summary>
    /// <param name="instructions">The text to read: instructions, or a string of a <c>run</c> phase's <c>settings.inputs</c>.</param>
    /// <param name="childInputs">Whether the text is a string of <c>settings.inputs</c>, where <c>{{item…}}</c> and
    /// <c>{{index}}</c> are references too; in instructions they are not.</param>
    public static (IReadOnlyList<InstructionReference> References, IReadOnlyList<string> Problems) Parse(string instructions, bool childInputs = false)
    {
        ArgumentNullException.ThrowIfNull(instructions);

        var references = new List<InstructionReference>();
        var problems = new List<string>();
        var position = 0;
        while (true)
        {
            var open = instructions.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                break;
            }

            var close = instructions.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                problems.Add($"\"{{{{\" at offset {open} is never closed with \"}}}}\"");
                break;
            }

            var inner = instructions[(open + 2)..close];
            var length = close + 2 - open;
            var reference = ParseInner(inner.Trim(), open, length, childInputs);
            if (reference is null)
            {
                var evaluated = childInputs
                    ? "{{inputs.NAME}}, {{phases.KEY.output}}, {{phases.KEY.output.FIELD}}, {{item}}, {{item.FIELD}} and {{index}}"
                    : "{{inputs.NAME}}, {{phases.KEY.output}} and {{phases.KEY.output.FIELD}}";
                problems.Add($"\"{Shorten(instructions.Substring(open, length))}\" at offset {open} is not a reference: only {evaluated} are evaluated");
            }
            else
            {
                references.Add(reference);
            }

            position = close + 2;
        }

        return (references, problems);
    }

    /// <summary>
    /// Reads one reference written without braces or whitespace, as a <c>run</c> phase's <c>forEach</c> is
    /// (<c>inputs.NAME</c> or <c>phases.KEY.output[.FIELD…]</c>); <see langword="null"/> when it is neither.
    /// </summary>
    public static InstructionReference? ParseWithoutBraces(string written)
    {
        ArgumentNullException.ThrowIfNull(written);
        return ParseInner(written, 0, written.Length, childInputs: false);
    }

    private static InstructionReference? ParseInner(string inner, int start, int length, bool childInputs)
    {
        var input = InputPattern().Match(inner);
        if (input.Success)
        {
            return new InstructionReference(InstructionReferenceKind.Input, input.Groups["name"].Value, [], start, length);
        }

        var output = OutputPattern().Match(inner);
        if (output.Success)
        {
            return new InstructionReference(InstructionReferenceKind.PhaseOutput, output.Groups["key"].Value, FieldsOf(output), start, length);
        }

        if (!childInputs)
        {
            return null;
        }

        var item = ItemPattern().Match(inner);
        if (item.Success)
        {
            return new InstructionReference(InstructionReferenceKind.Item, "item", FieldsOf(item), start, length);
        }

        return string.Equals(inner, "index", StringComparison.Ordinal)
            ? new InstructionReference(InstructionReferenceKind.Index, "index", [], start, length)
            : null;
    }

    private static List<string> FieldsOf(Match match) => match.Groups["field"].Captures.Select(c => c.Value).ToList();

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    [GeneratedRegex(@"^inputs\.(?<name>[A-Za-z0-9_-]+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex InputPattern();

    [GeneratedRegex(@"^phases\.(?<key>[A-Za-z0-9_-]+)\.output(?:\.(?<field>[A-Za-z0-9_-]+))*\z", RegexOptions.CultureInvariant)]
    private static partial Regex OutputPattern();

    [GeneratedRegex(@"^item(?:\.(?<field>[A-Za-z0-9_-]+))*\z", RegexOptions.CultureInvariant)]
    private static partial Regex ItemPattern();
}
