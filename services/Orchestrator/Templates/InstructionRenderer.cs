using System.Text.Json.Nodes;

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

        var references = ReferenceValues.ReferencesOf(instructions, childInputs: false, "instructions", nameof(instructions));
        var missing = new List<string>();
        var text = new ReferenceValues(inputs, outputs).Render(instructions, references, missing);
        if (missing.Count > 0)
        {
            return new InstructionRenderResult(null, missing);
        }

        var referencedPhases = references
            .Where(r => r.Kind == InstructionReferenceKind.PhaseOutput)
            .Select(r => r.Name)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var referencedOutputs = new JsonObject();
        foreach (var key in referencedPhases)
        {
            referencedOutputs[key] = outputs[key]?.DeepClone();
        }

        return new InstructionRenderResult(new RenderedInstructions(text, referencedPhases, referencedOutputs), []);
    }
}
