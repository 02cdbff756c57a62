using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// The limit on a phase's rendered instructions (<c>Orchestrator:MaxRenderedInstructionsBytes</c>), in UTF-8 bytes.
/// Rendering multiplies what a client sends: a template may reference one input hundreds of times, so a small start
/// request could otherwise become a huge <c>ExecutePhase</c>.
/// </summary>
public static class InstructionSize
{
    private static readonly Dictionary<string, JsonNode?> s_noOutputs = [];

    /// <summary>
    /// The admission check: every phase whose instructions reference only inputs is rendered with
    /// <paramref name="inputs"/> and measured. A phase that also references earlier outputs cannot be measured before
    /// they exist; it is checked when it is dispatched.
    /// </summary>
    public static IEnumerable<ValidationProblem> CheckAtAdmission(WorkflowTemplate template, JsonObject inputs, int limitBytes)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var phase in template.Phases)
        {
            if (phase.References.Any(r => r.Kind == InstructionReferenceKind.PhaseOutput))
            {
                continue;
            }

            // A missing input is reported by RunInputs.Validate; nothing to measure then.
            if (InstructionRenderer.Render(phase, inputs, s_noOutputs).Rendered is { } rendered
                && Encoding.UTF8.GetByteCount(rendered.Text) is var size && size > limitBytes)
            {
                yield return new ValidationProblem("$.inputs", TooLarge(phase.Key, size, limitBytes));
            }
        }
    }

    /// <summary>What is wrong, naming the phase, the size and the limit (for the 422 and the run's error).</summary>
    public static string TooLarge(string phaseKey, int sizeBytes, int limitBytes) => string.Create(CultureInfo.InvariantCulture,
        $"phase \"{phaseKey}\"'s instructions render to {sizeBytes} bytes, over the limit of {limitBytes} bytes");
}
