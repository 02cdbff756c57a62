using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;
using RunMesh.Schemas;

namespace RunMesh.Orchestrator.Templates;

/// <summary>The outcome of <see cref="TemplateValidator"/>: the template, or every problem found in it.</summary>
/// <param name="Template">The validated template; <see langword="null"/> when there are problems.</param>
/// <param name="Problems">Every problem found; empty when the template is valid.</param>
public sealed record TemplateValidationResult(WorkflowTemplate? Template, IReadOnlyList<ValidationProblem> Problems)
{
    /// <summary>Whether the template is valid.</summary>
    public bool IsValid => Template is not null;
}

/// <summary>
/// Checks a workflow template against every rule of docs/templates.md and reads it into a <see cref="WorkflowTemplate"/>.
/// It never stops at the first problem: the author sees all of them at once.
/// </summary>
public static partial class TemplateValidator
{
    private static readonly string[] s_templateFields = ["name", "version", "inputs", "phases", "budget", "timeoutSeconds"];
    private static readonly string[] s_inputsFields = ["schema"];
    private static readonly string[] s_phaseFields =
        ["key", "executor", "settings", "instructions", "artifact", "repairAttempts", "retry", "timeoutSeconds", "gates"];
    private static readonly string[] s_artifactFields = ["schema"];
    private static readonly string[] s_retryFields = ["maxAttempts", "backoffSeconds", "backoffMultiplier"];
    private static readonly string[] s_gateFields = ["name", "expiresAfterSeconds"];
    private static readonly string[] s_budgetFields = ["maxCostUsd", "maxTokens"];

    /// <summary>Reads <paramref name="text"/> (YAML or JSON, see <see cref="TemplateDocument.Parse"/>) and validates it.</summary>
    public static async Task<TemplateValidationResult> ValidateAsync(string text, string? contentType = null, CancellationToken cancellationToken = default)
    {
        var document = TemplateDocument.Parse(text, contentType);
        return document.Json is null
            ? new TemplateValidationResult(null, document.Problems)
            : await ValidateAsync(document.Json, cancellationToken);
    }

    /// <summary>Validates a template's JSON form. The object is read, never changed.</summary>
    public static async Task<TemplateValidationResult> ValidateAsync(JsonObject template, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);

        var reader = new FieldReader();
        reader.RejectUnknown(template, "$", s_templateFields);

        var name = reader.ReadString(template, "name", "$", required: true);
        if (name is not null && !TemplateNamePattern().IsMatch(name))
        {
            reader.Add("$.name", "must be 1 to 63 lower-case letters, digits and '-', starting with a letter (^[a-z][a-z0-9-]{0,62}$)");
        }

        var version = reader.ReadInteger(template, "version", "$", required: true, 1, int.MaxValue);

        var (inputSchema, declaredInputs) = await ReadInputsAsync(reader, template, cancellationToken);
        var phases = await ReadPhasesAsync(reader, template, declaredInputs, cancellationToken);
        var budget = ReadBudget(reader, template);
        var timeoutSeconds = reader.ReadInteger(template, "timeoutSeconds", "$", required: false, 1, TemplateLimits.MaxRunTimeoutSeconds)
            ?? WorkflowTemplate.DefaultTimeoutSeconds;

        string? canonical = null;
        try
        {
            canonical = CanonicalJson.SerializeToString(template);
            if (Encoding.UTF8.GetByteCount(canonical) > TemplateLimits.MaxTemplateBytes)
            {
                reader.Add("$", $"the template is larger than {TemplateLimits.MaxTemplateBytes / 1024} KiB");
            }
        }
        catch (CanonicalJsonException ex)
        {
            // Its message names the JSON path and the value, nothing of this process.
            reader.Add("$", $"has no canonical JSON form: {ex.Message}");
        }

        if (reader.Problems.Count > 0)
        {
            return new TemplateValidationResult(null, reader.Problems);
        }

        var workflow = new WorkflowTemplate
        {
            Name = name!,
            Version = (int)version!.Value,
            // TemplateHash.Of(template), without canonicalizing a second time.
            Hash = Digest.Sha256(Encoding.UTF8.GetBytes(canonical!)),
            CanonicalJson = canonical!,
            InputSchema = inputSchema,
            Phases = phases,
            Budget = budget,
            TimeoutSeconds = (int)timeoutSeconds,
        };
        return new TemplateValidationResult(workflow, []);
    }

    private static async Task<(TemplateSchema? Schema, IReadOnlySet<string>? Declared)> ReadInputsAsync(
        FieldReader reader, JsonObject template, CancellationToken cancellationToken)
    {
        var inputs = reader.ReadObject(template, "inputs", "$", required: false);
        if (inputs is null)
        {
            return (null, null);
        }

        reader.RejectUnknown(inputs, "$.inputs", s_inputsFields);
        var schema = reader.ReadObject(inputs, "schema", "$.inputs", required: false);
        if (schema is null)
        {
            return (null, null);
        }

        if (schema.TryGetPropertyValue("type", out var type) && !IsString(type, "object"))
        {
            reader.Add("$.inputs.schema.type", "must be \"object\": a run's inputs are a JSON object");
        }

        var declared = schema["properties"] is JsonObject properties
            ? properties.Select(p => p.Key).ToHashSet(StringComparer.Ordinal)
            : null;
        return (await ReadSchemaAsync(reader, schema, "$.inputs.schema", cancellationToken), declared);
    }

    private static async Task<IReadOnlyList<TemplatePhase>> ReadPhasesAsync(
        FieldReader reader, JsonObject template, IReadOnlySet<string>? declaredInputs, CancellationToken cancellationToken)
    {
        var array = reader.ReadArray(template, "phases", "$", required: true);
        if (array is null)
        {
            return [];
        }

        if (array.Count == 0)
        {
            reader.Add("$.phases", "must have at least one phase");
        }
        else if (array.Count > TemplateLimits.MaxPhases)
        {
            reader.Add("$.phases", $"has {array.Count} phases; at most {TemplateLimits.MaxPhases} are allowed");
        }

        // Every phase's key and position, to tell a later phase from one that does not exist.
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject phase && FieldReader.IsString(phase["key"], out var key))
            {
                positions.TryAdd(key, i);
            }
        }

        var phases = new List<TemplatePhase>();
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"$.phases[{i}]";
            if (array[i] is not JsonObject phase)
            {
                reader.Add(path, $"must be an object, got {FieldReader.Describe(array[i])}");
                continue;
            }

            var read = await ReadPhaseAsync(reader, phase, path, i, positions, declaredInputs, cancellationToken);
            if (read is not null)
            {
                phases.Add(read);
            }
        }

        return phases;
    }

    private static async Task<TemplatePhase?> ReadPhaseAsync(
        FieldReader reader,
        JsonObject phase,
        string path,
        int index,
        Dictionary<string, int> positions,
        IReadOnlySet<string>? declaredInputs,
        CancellationToken cancellationToken)
    {
        reader.RejectUnknown(phase, path, s_phaseFields);

        var key = reader.ReadString(phase, "key", path, required: true);
        if (key is not null)
        {
            if (!PhaseKeyPattern().IsMatch(key))
            {
                reader.Add($"{path}.key", "must be 1 to 63 lower-case letters, digits, '_' and '-', starting with a letter (^[a-z][a-z0-9_-]{0,62}$)");
            }

            if (positions.TryGetValue(key, out var first) && first != index)
            {
                reader.Add($"{path}.key", $"duplicate phase key \"{key}\" (also $.phases[{first}].key)");
            }
        }

        var executor = reader.ReadString(phase, "executor", path, required: true);
        if (executor is not null && !PhaseExecutors.Known.Contains(executor))
        {
            reader.Add($"{path}.executor", $"unknown executor \"{executor}\" (known: {string.Join(", ", PhaseExecutors.Known)})");
        }

        // A run phase's children get their inputs from its settings, so it needs those and no instructions.
        var startsChildRuns = string.Equals(executor, PhaseExecutors.Run, StringComparison.Ordinal);
        var scope = new ReferenceScope(key, index, positions, declaredInputs);

        var settings = reader.ReadObject(phase, "settings", path, required: startsChildRuns);
        IReadOnlyList<InstructionReference> childInputReferences = [];
        if (startsChildRuns && settings is not null)
        {
            childInputReferences = ReadChildRunSettings(reader, settings, $"{path}.settings", scope);
        }

        var instructions = reader.ReadString(phase, "instructions", path, required: !startsChildRuns);
        IReadOnlyList<InstructionReference> references = [];
        if (instructions is not null)
        {
            references = ReadInstructions(reader, instructions, $"{path}.instructions", scope);
        }

        TemplateSchema? artifactSchema = null;
        var artifact = reader.ReadObject(phase, "artifact", path, required: true);
        if (artifact is not null)
        {
            reader.RejectUnknown(artifact, $"{path}.artifact", s_artifactFields);
            var schema = reader.ReadObject(artifact, "schema", $"{path}.artifact", required: true);
            if (schema is not null)
            {
                artifactSchema = await ReadSchemaAsync(reader, schema, $"{path}.artifact.schema", cancellationToken);
            }
        }

        var repairAttempts = reader.ReadInteger(phase, "repairAttempts", path, required: false, 0, TemplateLimits.MaxRepairAttempts)
            ?? TemplatePhase.DefaultRepairAttempts;
        var retry = ReadRetry(reader, phase, path);
        var timeoutSeconds = reader.ReadInteger(phase, "timeoutSeconds", path, required: false, 1, TemplateLimits.MaxPhaseTimeoutSeconds)
            ?? TemplatePhase.DefaultTimeoutSeconds;
        var gates = ReadGates(reader, phase, path);

        if (key is null || executor is null || (instructions is null && !startsChildRuns) || artifactSchema is null)
        {
            return null;
        }

        return new TemplatePhase
        {
            Key = key,
            Executor = executor,
            Settings = ToElement(settings ?? []),
            Instructions = instructions ?? string.Empty,
            References = references,
            ChildInputReferences = childInputReferences,
            ArtifactSchema = artifactSchema,
            RepairAttempts = (int)repairAttempts,
            Retry = retry,
            TimeoutSeconds = (int)timeoutSeconds,
            Gates = gates,
        };
    }

    private static IReadOnlyList<InstructionReference> ReadInstructions(FieldReader reader, string instructions, string path, ReferenceScope scope)
    {
        if (string.IsNullOrWhiteSpace(instructions))
        {
            reader.Add(path, "must not be empty");
        }

        var bytes = Encoding.UTF8.GetByteCount(instructions);
        if (bytes > TemplateLimits.MaxInstructionsBytes)
        {
            reader.Add(path, $"is {bytes} bytes long; at most {TemplateLimits.MaxInstructionsBytes / 1024} KiB are allowed");
        }

        return ReadReferences(reader, instructions, path, scope, childInputs: false, hasForEach: false);
    }

    /// <summary>
    /// Reads the <c>{{…}}</c> references of <paramref name="text"/> (instructions, or a string of a run phase's
    /// <c>settings.inputs</c>) and adds a problem at <paramref name="path"/> for each malformed one or one that points
    /// at nothing it may.
    /// </summary>
    private static IReadOnlyList<InstructionReference> ReadReferences(
        FieldReader reader, string text, string path, ReferenceScope scope, bool childInputs, bool hasForEach)
    {
        var (references, problems) = InstructionReferences.Parse(text, childInputs);
        foreach (var problem in problems)
        {
            reader.Add(path, problem);
        }

        foreach (var reference in references)
        {
            if (ProblemOf(reference, $"{{{{{reference.Path}}}}}", scope, hasForEach) is { } problem)
            {
                reader.Add(path, problem);
            }
        }

        return references;
    }

    /// <summary>Why <paramref name="reference"/> (as the author <paramref name="written"/> it) may not be used in its phase; <see langword="null"/> when it may.</summary>
    private static string? ProblemOf(InstructionReference reference, string written, ReferenceScope scope, bool hasForEach)
    {
        switch (reference.Kind)
        {
            case InstructionReferenceKind.Input:
                if (scope.DeclaredInputs is { } declared && !declared.Contains(reference.Name))
                {
                    var known = declared.Count == 0 ? "none" : string.Join(", ", declared.Order(StringComparer.Ordinal));
                    return $"{written} refers to an input that inputs.schema does not declare (declared: {known})";
                }

                return null;
            case InstructionReferenceKind.PhaseOutput:
                if (string.Equals(reference.Name, scope.OwnKey, StringComparison.Ordinal))
                {
                    return $"{written} refers to this phase's own output; only earlier phases' outputs can be referenced";
                }

                if (!scope.Positions.TryGetValue(reference.Name, out var position))
                {
                    return $"{written} refers to phase \"{reference.Name}\", which does not exist";
                }

                return position > scope.Index
                    ? $"{written} refers to phase \"{reference.Name}\", which runs later; only earlier phases' outputs can be referenced"
                    : null;
            default:
                return hasForEach
                    ? null
                    : $"{written} is available only when settings.forEach is set (one child run per element); this phase has no forEach";
        }
    }

    private static RetryPolicy ReadRetry(FieldReader reader, JsonObject phase, string path)
    {
        var retry = reader.ReadObject(phase, "retry", path, required: false);
        if (retry is null)
        {
            return RetryPolicy.Default;
        }

        var retryPath = $"{path}.retry";
        reader.RejectUnknown(retry, retryPath, s_retryFields);
        var maxAttempts = reader.ReadInteger(retry, "maxAttempts", retryPath, required: false, 1, TemplateLimits.MaxRetryAttempts);
        var backoff = reader.ReadNumber(retry, "backoffSeconds", retryPath, 0, TemplateLimits.MaxBackoffSeconds);
        var multiplier = reader.ReadNumber(retry, "backoffMultiplier", retryPath, 1, TemplateLimits.MaxBackoffMultiplier);
        return new RetryPolicy(
            (int)(maxAttempts ?? RetryPolicy.Default.MaxAttempts),
            backoff ?? RetryPolicy.Default.BackoffSeconds,
            multiplier ?? RetryPolicy.Default.BackoffMultiplier);
    }

    private static List<ApprovalGate> ReadGates(FieldReader reader, JsonObject phase, string path)
    {
        var gates = new List<ApprovalGate>();
        var array = reader.ReadArray(phase, "gates", path, required: false);
        if (array is null)
        {
            return gates;
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var gatePath = $"{path}.gates[{i}]";
            string? name;
            long? expiresAfterSeconds = null;
            switch (array[i])
            {
                case JsonValue when FieldReader.IsString(array[i], out var plain):
                    name = plain;
                    break;
                case JsonObject gate:
                    reader.RejectUnknown(gate, gatePath, s_gateFields);
                    name = reader.ReadString(gate, "name", gatePath, required: true);
                    expiresAfterSeconds = reader.ReadInteger(gate, "expiresAfterSeconds", gatePath, required: false, 1, int.MaxValue);
                    gatePath += ".name";
                    break;
                default:
                    reader.Add(gatePath, $"must be a gate name or {{name, expiresAfterSeconds}}, got {FieldReader.Describe(array[i])}");
                    continue;
            }

            if (name is null)
            {
                continue;
            }

            if (!PhaseKeyPattern().IsMatch(name))
            {
                reader.Add(gatePath, "must be 1 to 63 lower-case letters, digits, '_' and '-', starting with a letter (^[a-z][a-z0-9_-]{0,62}$)");
            }

            if (!seen.TryAdd(name, i))
            {
                reader.Add(gatePath, $"duplicate gate \"{name}\" in this phase (also {path}.gates[{seen[name]}])");
                continue;
            }

            gates.Add(new ApprovalGate(name, (int?)expiresAfterSeconds));
        }

        return gates;
    }

    private static Budget? ReadBudget(FieldReader reader, JsonObject template)
    {
        var budget = reader.ReadObject(template, "budget", "$", required: false);
        if (budget is null)
        {
            return null;
        }

        reader.RejectUnknown(budget, "$.budget", s_budgetFields);
        var maxCostUsd = reader.ReadPositiveDecimal(budget, "maxCostUsd", "$.budget");
        var maxTokens = reader.ReadInteger(budget, "maxTokens", "$.budget", required: false, 1, long.MaxValue);
        return maxCostUsd is null && maxTokens is null ? null : new Budget { MaxCostUsd = maxCostUsd, MaxTokens = maxTokens };
    }

    private static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static bool IsString(JsonNode? node, string expected) =>
        FieldReader.IsString(node, out var value) && string.Equals(value, expected, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="name"/> can be a template's name (<c>^[a-z][a-z0-9-]{0,62}$</c>).</summary>
    public static bool IsTemplateName(string name) => TemplateNamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex TemplateNamePattern();

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex PhaseKeyPattern();

    /// <summary>Where a phase's references are checked: which phase it is, the phases before and after it, the declared inputs.</summary>
    /// <param name="OwnKey">The phase's key (<see langword="null"/> when it has none).</param>
    /// <param name="Index">The phase's position.</param>
    /// <param name="Positions">Every phase's key and position.</param>
    /// <param name="DeclaredInputs">The inputs <c>inputs.schema</c> declares; <see langword="null"/> when any name goes.</param>
    private sealed record ReferenceScope(string? OwnKey, int Index, IReadOnlyDictionary<string, int> Positions, IReadOnlySet<string>? DeclaredInputs);

    /// <summary>Loads a schema the template declares, recording why it cannot be used.</summary>
    private static async Task<TemplateSchema?> ReadSchemaAsync(FieldReader reader, JsonObject schema, string path, CancellationToken cancellationToken)
    {
        var before = reader.Problems.Count;
        var loaded = await JsonSchemas.LoadAsync(schema, cancellationToken);
        var draftSeven = await DraftSevenMetaSchema.CheckAsync(schema, path);
        foreach (var problem in loaded.Problems)
        {
            // NJsonSchema's own complaint names .NET types; the meta-schema's says the same in the author's terms.
            if (draftSeven.Count == 0 || !problem.StartsWith("not a valid JSON Schema", StringComparison.Ordinal))
            {
                AddSchemaProblem(reader, path, problem);
            }
        }

        reader.Problems.AddRange(draftSeven);
        reader.Problems.AddRange(DraftSevenMetaSchema.CheckPatterns(schema, path));
        return loaded.Schema is { } compiled && reader.Problems.Count == before
            ? new TemplateSchema(ToElement(schema), compiled)
            : null;
    }

    /// <summary>Adds a <see cref="JsonSchemas"/> problem; one located in the schema (<c>#/a/b: …</c>) gets that location in its path.</summary>
    private static void AddSchemaProblem(FieldReader reader, string path, string problem)
    {
        var separator = problem.IndexOf(": ", StringComparison.Ordinal);
        if (problem.StartsWith('#') && separator > 0)
        {
            reader.Add(path + DraftSevenMetaSchema.ToDotted(problem[..separator]), problem[(separator + 2)..]);
        }
        else
        {
            reader.Add(path, problem);
        }
    }
}
