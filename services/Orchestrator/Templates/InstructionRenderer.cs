using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hashing;

namespace RunMesh.Orchestrator.Templates;

/// <summary>A phase's instructions with their references replaced.</summary>
/// <param name="Text">The rendered instructions, as sent in <c>ExecutePhase.Instructions</c>.</param>
/// <param name="ReferencedPhases">The keys of the earlier phases the instructions reference, each once, in order of first use.</param>
/// <param name="ReferencedOutputs">Those phases' artifacts keyed by phase key (copies), for <c>ExecutePhase.ReferencedOutputs</c>.</param>
public sealed record RenderedInstructions(string Text, IReadOnlyList<string> ReferencedPhases, JsonObject ReferencedOutputs);

/// <summary>
/// The outcome of <see cref="InstructionRenderer.Render(TemplatePhase, JsonObject, IReadOnlyDictionary{string, JsonNode?})"/>:
/// the rendered instructions, or every reference that had no value.
/// </summary>
/// <param name="Rendered">The rendered instructions; <see langword="null"/> when a reference had no value.</param>
/// <param name="MissingReferences">Each reference without a value, as written without whitespace (<c>inputs.feature</c>,
/// <c>phases.spec.output.title</c>), once, in order of appearance. The API answers 422 <c>invalid_inputs</c> with them.</param>
public sealed record InstructionRenderResult(RenderedInstructions? Rendered, IReadOnlyList<string> MissingReferences)
{
    /// <summary>Whether every reference had a value.</summary>
    public bool IsRendered => Rendered is not null;
}

/// <summary>
/// Renders a phase's instructions: <c>{{inputs.x}}</c> becomes the input's value (a string as-is, any other JSON value
/// as its canonical JSON); <c>{{phases.KEY.output}}</c> the canonical JSON of that phase's artifact;
/// <c>{{phases.KEY.output.a.b}}</c> the value at that path in it (a string as-is, else canonical JSON; a number
/// segment indexes an array). Whitespace inside the braces is ignored. Nothing else is evaluated.
/// </summary>
public static class InstructionRenderer
{
    /// <summary>Renders <paramref name="phase"/>'s instructions.</summary>
    /// <param name="phase">A phase of a validated template.</param>
    /// <param name="inputs">The run's inputs.</param>
    /// <param name="outputs">The accepted artifacts of the phases completed so far, keyed by phase key.</param>
    public static InstructionRenderResult Render(TemplatePhase phase, JsonObject inputs, IReadOnlyDictionary<string, JsonNode?> outputs)
    {
        ArgumentNullException.ThrowIfNull(phase);
        return Render(phase.Instructions, inputs, outputs);
    }

    /// <summary>Renders <paramref name="instructions"/>.</summary>
    /// <exception cref="ArgumentException">The instructions hold a malformed <c>{{…}}</c>; validated templates never do.</exception>
    public static InstructionRenderResult Render(string instructions, JsonObject inputs, IReadOnlyDictionary<string, JsonNode?> outputs)
    {
        ArgumentNullException.ThrowIfNull(instructions);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);

        var (references, problems) = InstructionReferences.Parse(instructions);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"The instructions are not valid: {string.Join("; ", problems)}", nameof(instructions));
        }

        var text = new StringBuilder(instructions.Length);
        var missing = new List<string>();
        var referencedPhases = new List<string>();
        var position = 0;
        foreach (var reference in references)
        {
            text.Append(instructions, position, reference.Start - position);
            position = reference.Start + reference.Length;

            if (reference.Kind == InstructionReferenceKind.PhaseOutput && !referencedPhases.Contains(reference.Name, StringComparer.Ordinal))
            {
                referencedPhases.Add(reference.Name);
            }

            if (TryResolve(reference, inputs, outputs, out var value))
            {
                text.Append(Format(value));
            }
            else if (!missing.Contains(reference.Path, StringComparer.Ordinal))
            {
                missing.Add(reference.Path);
            }
        }

        if (missing.Count > 0)
        {
            return new InstructionRenderResult(null, missing);
        }

        text.Append(instructions, position, instructions.Length - position);
        var referencedOutputs = new JsonObject();
        foreach (var key in referencedPhases)
        {
            referencedOutputs[key] = outputs[key]?.DeepClone();
        }

        return new InstructionRenderResult(new RenderedInstructions(text.ToString(), referencedPhases, referencedOutputs), []);
    }

    private static bool TryResolve(InstructionReference reference, JsonObject inputs, IReadOnlyDictionary<string, JsonNode?> outputs, out JsonNode? value)
    {
        if (reference.Kind == InstructionReferenceKind.Input)
        {
            return inputs.TryGetPropertyValue(reference.Name, out value);
        }

        if (!outputs.TryGetValue(reference.Name, out value))
        {
            return false;
        }

        foreach (var field in reference.FieldPath)
        {
            switch (value)
            {
                case JsonObject obj when obj.TryGetPropertyValue(field, out var child):
                    value = child;
                    break;
                case JsonArray array when int.TryParse(field, out var index) && index >= 0 && index < array.Count
                    && field == index.ToString(System.Globalization.CultureInfo.InvariantCulture):
                    value = array[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }

        return true;
    }

    private static string Format(JsonNode? value) =>
        value is JsonValue json && json.GetValueKind() == JsonValueKind.String
            ? json.GetValue<string>()
            : CanonicalJson.SerializeToString(value);
}
