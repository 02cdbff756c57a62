using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// The settings of a <c>run</c> phase (<see cref="PhaseExecutors.Run"/>), validated at registration by
/// <see cref="TemplateValidator"/>: which template its child runs use, their inputs before rendering, and whether one
/// child is started per element of an array.
/// </summary>
/// <param name="Template">The child runs' template: <c>name@version</c> or <c>sha256:</c> and 64 lower-case hex digits.
/// Not resolved at registration: it may be registered later.</param>
/// <param name="Inputs">The child runs' inputs before rendering (<see cref="ChildRunInputs.Render"/>); <c>{}</c> when not given.</param>
/// <param name="ForEach">A reference written without braces (<c>phases.KEY.output[.FIELD…]</c> or <c>inputs.NAME</c>) to
/// an array with one child run per element; <see langword="null"/> for a single child run.</param>
/// <param name="MaxParallel">How many child runs of one attempt may be in flight at once (1 … 256).</param>
public sealed record ChildRunSettings(string Template, JsonObject Inputs, string? ForEach, int MaxParallel)
{
    /// <summary>Child runs of one attempt in flight at once when <c>maxParallel</c> is not given.</summary>
    public const int DefaultMaxParallel = 8;

    /// <summary>The fields <c>settings</c> of a <c>run</c> phase may have.</summary>
    internal static readonly string[] Fields = ["template", "inputs", "forEach", "maxParallel"];

    /// <summary>Reads the settings of a validated <c>run</c> phase, e.g. <c>PhasePlan.Settings</c>. The object is not changed;
    /// <see cref="Inputs"/> is a copy.</summary>
    /// <exception cref="ArgumentException">The settings name no template; those of a validated <c>run</c> phase always do.</exception>
    public static ChildRunSettings Of(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);

        var template = FieldReader.IsString(settings["template"], out var named) ? named
            : throw new ArgumentException("The settings of a run phase must name a template (settings.template).", nameof(settings));
        var inputs = settings["inputs"] is JsonObject given ? given.DeepClone().AsObject() : [];
        var maxParallel = settings["maxParallel"] is JsonValue number && number.GetValueKind() == JsonValueKind.Number
            // Validated as an integer in range, whatever its spelling (8, 8.0, 8e0).
            ? (int)double.Parse(number.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : DefaultMaxParallel;
        var forEach = FieldReader.IsString(settings["forEach"], out var reference) ? reference : null;
        return new ChildRunSettings(template, inputs, forEach, maxParallel);
    }
}
