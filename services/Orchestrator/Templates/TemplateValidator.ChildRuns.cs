using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

// The settings of a run phase (executor: run): the child runs' template, their inputs and forEach.
public static partial class TemplateValidator
{
    /// <summary>
    /// Checks a run phase's <paramref name="settings"/> (at <paramref name="path"/>) and returns the references they
    /// make: <c>forEach</c> first, then those of each string of <c>inputs</c>, in document order.
    /// </summary>
    private static List<InstructionReference> ReadChildRunSettings(FieldReader reader, JsonObject settings, string path, ReferenceScope scope)
    {
        reader.RejectUnknown(settings, path, ChildRunSettings.Fields);

        var template = reader.ReadString(settings, "template", path, required: true);
        if (template is not null && !IsTemplateReference(template))
        {
            reader.Add($"{path}.template",
                "must be name@version (a template name, ^[a-z][a-z0-9-]{0,62}$, and an integer version from 1, e.g. write-chapter@2) "
                + $"or sha256: and 64 lower-case hex digits, got \"{template}\"");
        }

        reader.ReadInteger(settings, "maxParallel", path, required: false, 1, TemplateLimits.MaxParallelChildRuns);

        var references = new List<InstructionReference>();
        var forEach = reader.ReadString(settings, "forEach", path, required: false);
        if (forEach is not null)
        {
            if (InstructionReferences.ParseWithoutBraces(forEach) is not { } reference)
            {
                reader.Add($"{path}.forEach",
                    $"must be a reference to an array written without braces, phases.KEY.output[.FIELD…] or inputs.NAME, got \"{forEach}\"");
            }
            else if (ProblemOf(reference, forEach, scope, hasForEach: false) is { } problem)
            {
                reader.Add($"{path}.forEach", problem);
            }
            else
            {
                references.Add(reference);
            }
        }

        if (reader.ReadObject(settings, "inputs", path, required: false) is { } inputs)
        {
            // A forEach of the wrong type is reported above; {{item}} is not reported a second time for it.
            ReadChildInputs(reader, inputs, $"{path}.inputs", scope, settings.ContainsKey("forEach"), references);
        }

        return references;
    }

    /// <summary>Checks the references of every string in <paramref name="node"/>, at any depth, each at its own path.</summary>
    private static void ReadChildInputs(
        FieldReader reader, JsonNode? node, string path, ReferenceScope scope, bool hasForEach, List<InstructionReference> references)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    ReadChildInputs(reader, value, $"{path}.{name}", scope, hasForEach, references);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    ReadChildInputs(reader, array[i], string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), scope, hasForEach, references);
                }

                break;
            case JsonValue when FieldReader.IsString(node, out var text):
                references.AddRange(ReadReferences(reader, text, path, scope, childInputs: true, hasForEach));
                break;
        }
    }

    /// <summary>Whether <paramref name="reference"/> names a template the way a run does: <c>name@version</c> or <c>sha256:…</c>.</summary>
    private static bool IsTemplateReference(string reference)
    {
        if (reference.StartsWith(Digest.Sha256Prefix, StringComparison.Ordinal))
        {
            return Digest.IsValid(reference);
        }

        var at = reference.LastIndexOf('@');
        var version = reference.AsSpan(at + 1);
        return at > 0
            && TemplateNamePattern().IsMatch(reference[..at])
            && int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number >= 1
            && version.Length == number.ToString(CultureInfo.InvariantCulture).Length;
    }
}
