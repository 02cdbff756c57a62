using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// What the child runs of a <c>run</c> phase are started with: the items of its <c>forEach</c> and each child's
/// inputs. Pure functions of the run's inputs and the earlier phases' outputs, like <see cref="InstructionRenderer"/>,
/// whose resolution and formatting they share.
/// </summary>
public static class ChildRunInputs
{
    /// <summary>
    /// The elements <paramref name="settings"/>' <c>forEach</c> names (copies), one child run each, in array order.
    /// <c>Items</c> and <c>Error</c> are both <see langword="null"/> when the phase has no <c>forEach</c> (one child run);
    /// <c>Error</c> says what is wrong, naming the reference, when it resolves to nothing or to something that is not
    /// an array.
    /// </summary>
    /// <param name="settings">The phase's settings.</param>
    /// <param name="runInputs">The run's inputs.</param>
    /// <param name="outputs">The accepted artifacts of the phases completed so far, keyed by phase key.</param>
    public static (IReadOnlyList<JsonNode?>? Items, string? Error) ItemsOf(
        ChildRunSettings settings, JsonObject runInputs, IReadOnlyDictionary<string, JsonNode?> outputs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(runInputs);
        ArgumentNullException.ThrowIfNull(outputs);

        if (settings.ForEach is not { } forEach)
        {
            return (null, null);
        }

        if (InstructionReferences.ParseWithoutBraces(forEach) is not { } reference)
        {
            return (null, $"forEach \"{forEach}\" is not a reference: it must be phases.KEY.output[.FIELD…] or inputs.NAME");
        }

        if (!new ReferenceValues(runInputs, outputs).TryResolve(reference, out var value))
        {
            return (null, $"forEach {forEach} does not exist");
        }

        return value is JsonArray array
            ? (array.Select(element => element?.DeepClone()).ToList(), null)
            : (null, $"forEach {forEach} is {FieldReader.Describe(value)}, not an array");
    }

    /// <summary>
    /// A child run's inputs: <paramref name="inputsTemplate"/> (a <c>run</c> phase's <c>settings.inputs</c>) with every
    /// string, at any depth, rendered. A string that is exactly one <c>{{…}}</c> reference (whitespace inside the braces
    /// allowed) becomes a copy of the referenced value, keeping its JSON type (number, boolean, null, object, array);
    /// any other string is rendered as instructions are (a string value as-is, any other as its canonical JSON).
    /// Other values are copied unchanged. <c>Missing</c> lists each reference that resolves to nothing
    /// (<c>item.title</c>, <c>phases.outline.output.style</c>), once, in order of appearance; <c>Inputs</c> is then
    /// <see langword="null"/>.
    /// </summary>
    /// <param name="inputsTemplate">The phase's <see cref="ChildRunSettings.Inputs"/>; not changed.</param>
    /// <param name="runInputs">The parent run's inputs.</param>
    /// <param name="outputs">The accepted artifacts of the phases completed so far, keyed by phase key.</param>
    /// <param name="item">The <c>forEach</c> element this child is started for (may be JSON null).</param>
    /// <param name="index">The element's position in the <c>forEach</c> array; <see langword="null"/> when the phase has no
    /// <c>forEach</c>, and then <c>{{item…}}</c> and <c>{{index}}</c> resolve to nothing.</param>
    /// <exception cref="ArgumentException">A string holds a malformed <c>{{…}}</c>; validated templates never do.</exception>
    public static (JsonObject? Inputs, IReadOnlyList<string> Missing) Render(
        JsonObject inputsTemplate, JsonObject runInputs, IReadOnlyDictionary<string, JsonNode?> outputs, JsonNode? item, int? index)
    {
        ArgumentNullException.ThrowIfNull(inputsTemplate);
        ArgumentNullException.ThrowIfNull(runInputs);
        ArgumentNullException.ThrowIfNull(outputs);

        var values = new ReferenceValues(runInputs, outputs, item, index);
        var missing = new List<string>();
        var inputs = RenderObject(inputsTemplate, values, missing);
        return missing.Count > 0 ? (null, missing) : (inputs, []);
    }

    private static JsonObject RenderObject(JsonObject template, ReferenceValues values, List<string> missing)
    {
        var rendered = new JsonObject();
        foreach (var (name, value) in template)
        {
            rendered[name] = RenderValue(value, values, missing);
        }

        return rendered;
    }

    private static JsonNode? RenderValue(JsonNode? template, ReferenceValues values, List<string> missing) => template switch
    {
        JsonObject obj => RenderObject(obj, values, missing),
        JsonArray array => new JsonArray(array.Select(element => RenderValue(element, values, missing)).ToArray()),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => RenderString(value.GetValue<string>(), values, missing),
        _ => template?.DeepClone(),
    };

    private static JsonNode? RenderString(string text, ReferenceValues values, List<string> missing)
    {
        var references = ReferenceValues.ReferencesOf(text, childInputs: true, "settings.inputs", "inputsTemplate");
        if (references is not [{ Start: 0 } only] || only.Length != text.Length)
        {
            return JsonValue.Create(values.Render(text, references, missing));
        }

        if (values.TryResolve(only, out var value))
        {
            return value?.DeepClone();
        }

        ReferenceValues.AddMissing(missing, only);
        return null;
    }
}
