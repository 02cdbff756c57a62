using System.Text.RegularExpressions;

namespace RunMesh.Orchestrator.Templates;

/// <summary>What a <c>{{…}}</c> reference in a phase's instructions points at.</summary>
public enum InstructionReferenceKind
{
    /// <summary><c>{{inputs.NAME}}</c>: a value of the run's inputs.</summary>
    Input,

    /// <summary><c>{{phases.KEY.output}}</c> or <c>{{phases.KEY.output.FIELD…}}</c>: an earlier phase's artifact or a part of it.</summary>
    PhaseOutput,
}

/// <summary>One <c>{{…}}</c> reference in a phase's instructions.</summary>
/// <param name="Kind">Whether it points at an input or at an earlier phase's output.</param>
/// <param name="Name">The input's name, or the phase's key.</param>
/// <param name="FieldPath">For a phase output, the field names (or array indexes) below <c>output</c>; empty for the whole artifact.</param>
/// <param name="Start">Where the reference's <c>{{</c> starts in the instructions (a character offset).</param>
/// <param name="Length">The reference's length in characters, braces included.</param>
public sealed record InstructionReference(InstructionReferenceKind Kind, string Name, IReadOnlyList<string> FieldPath, int Start, int Length)
{
    /// <summary>The reference as it would be written without whitespace, e.g. <c>phases.spec.output.title</c>.</summary>
    public string Path => Kind == InstructionReferenceKind.Input
        ? $"inputs.{Name}"
        : string.Concat($"phases.{Name}.output", string.Concat(FieldPath.Select(f => "." + f)));
}

/// <summary>
/// Finds the <c>{{…}}</c> references in instructions. Only <c>{{inputs.NAME}}</c>, <c>{{phases.KEY.output}}</c> and
/// <c>{{phases.KEY.output.FIELD[.SUB…]}}</c> are references (whitespace inside the braces is ignored); anything else in
/// double braces, or a <c>{{</c> that is never closed, is a problem. Nothing is evaluated.
/// </summary>
public static partial class InstructionReferences
{
    /// <summary>Reads every reference in <paramref name="instructions"/>, and a problem for each malformed one.</summary>
    public static (IReadOnlyList<InstructionReference> References, IReadOnlyList<string> Problems) Parse(string instructions)
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
            var reference = ParseInner(inner.Trim(), open, length);
            if (reference is null)
            {
                problems.Add($"\"{Shorten(instructions.Substring(open, length))}\" at offset {open} is not a reference: only {{{{inputs.NAME}}}}, {{{{phases.KEY.output}}}} and {{{{phases.KEY.output.FIELD}}}} are evaluated");
            }
            else
            {
                references.Add(reference);
            }

            position = close + 2;
        }

        return (references, problems);
    }

    private static InstructionReference? ParseInner(string inner, int start, int length)
    {
        var input = InputPattern().Match(inner);
        if (input.Success)
        {
            return new InstructionReference(InstructionReferenceKind.Input, input.Groups["name"].Value, [], start, length);
        }

        var output = OutputPattern().Match(inner);
        if (output.Success)
        {
            var fields = output.Groups["field"].Captures.Select(c => c.Value).ToList();
            return new InstructionReference(InstructionReferenceKind.PhaseOutput, output.Groups["key"].Value, fields, start, length);
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    [GeneratedRegex(@"^inputs\.(?<name>[A-Za-z0-9_-]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex InputPattern();

    [GeneratedRegex(@"^phases\.(?<key>[A-Za-z0-9_-]+)\.output(?:\.(?<field>[A-Za-z0-9_-]+))*$", RegexOptions.CultureInvariant)]
    private static partial Regex OutputPattern();
}
