using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hashing;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// What <c>{{…}}</c> references resolve to: the run's inputs, the accepted artifacts of earlier phases (keyed by phase
/// key) and, for a child run of a <c>forEach</c>, its item and index. Instructions (<see cref="InstructionRenderer"/>)
/// and a child run's inputs (<see cref="ChildRunInputs"/>) are resolved and written into text the same way, here.
/// </summary>
/// <param name="Inputs">The run's inputs.</param>
/// <param name="Outputs">The accepted artifacts of the phases completed so far, keyed by phase key.</param>
/// <param name="Item">The <c>forEach</c> element (may be JSON null); meaningful only when <paramref name="Index"/> is set.</param>
/// <param name="Index">The element's position; <see langword="null"/> when there is no <c>forEach</c>, so <c>{{item…}}</c>
/// and <c>{{index}}</c> resolve to nothing.</param>
internal sealed record ReferenceValues(JsonObject Inputs, IReadOnlyDictionary<string, JsonNode?> Outputs, JsonNode? Item = null, int? Index = null)
{
    /// <summary>
    /// The references in <paramref name="text"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The text holds a malformed <c>{{…}}</c>; validated templates never do.</exception>
    public static IReadOnlyList<InstructionReference> ReferencesOf(string text, bool childInputs, string what, string parameterName)
    {
        var (references, problems) = InstructionReferences.Parse(text, childInputs);
        return problems.Count == 0
            ? references
            : throw new ArgumentException($"The {what} are not valid: {string.Join("; ", problems)}", parameterName);
    }

    /// <summary>
    /// The value <paramref name="reference"/> points at (the node itself, not a copy). A field of an object is found by
    /// name, an element of an array by a segment of digits; <see langword="false"/> when any step finds nothing.
    /// </summary>
    public bool TryResolve(InstructionReference reference, out JsonNode? value)
    {
        switch (reference.Kind)
        {
            case InstructionReferenceKind.Input:
                return Inputs.TryGetPropertyValue(reference.Name, out value);
            case InstructionReferenceKind.PhaseOutput when Outputs.TryGetValue(reference.Name, out value):
                return TryDescend(reference.FieldPath, ref value);
            case InstructionReferenceKind.Item when Index is not null:
                value = Item;
                return TryDescend(reference.FieldPath, ref value);
            case InstructionReferenceKind.Index when Index is { } index:
                value = JsonValue.Create(index);
                return true;
            default:
                value = null;
                return false;
        }
    }

    /// <summary>
    /// <paramref name="text"/> with each of its <paramref name="references"/> replaced by <see cref="Format"/> of its value;
    /// each reference without a value is added to <paramref name="missing"/> (as <see cref="InstructionReference.Path"/>,
    /// once) and left out of the text.
    /// </summary>
    public string Render(string text, IReadOnlyList<InstructionReference> references, List<string> missing)
    {
        var rendered = new StringBuilder(text.Length);
        var position = 0;
        foreach (var reference in references)
        {
            rendered.Append(text, position, reference.Start - position);
            position = reference.Start + reference.Length;

            if (TryResolve(reference, out var value))
            {
                rendered.Append(Format(value));
            }
            else
            {
                AddMissing(missing, reference);
            }
        }

        rendered.Append(text, position, text.Length - position);
        return rendered.ToString();
    }

    /// <summary>Adds <paramref name="reference"/>'s path to <paramref name="missing"/> unless it is there already.</summary>
    public static void AddMissing(List<string> missing, InstructionReference reference)
    {
        if (!missing.Contains(reference.Path, StringComparer.Ordinal))
        {
            missing.Add(reference.Path);
        }
    }

    /// <summary>How a value is written into text: a string as-is, any other JSON value as its canonical JSON.</summary>
    public static string Format(JsonNode? value) =>
        value is JsonValue json && json.GetValueKind() == JsonValueKind.String
            ? json.GetValue<string>()
            : CanonicalJson.SerializeToString(value);

    private static bool TryDescend(IReadOnlyList<string> fieldPath, ref JsonNode? value)
    {
        foreach (var field in fieldPath)
        {
            switch (value)
            {
                case JsonObject obj when obj.TryGetPropertyValue(field, out var child):
                    value = child;
                    break;
                case JsonArray array when int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    && index < array.Count && field == index.ToString(CultureInfo.InvariantCulture):
                    value = array[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }

        return true;
    }
}
