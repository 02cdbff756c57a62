using System.Globalization;
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

        var reader = new Reader();
        reader.RejectUnknown(template, "$", s_templateFields);

        var name = reader.String(template, "name", "$", required: true);
        if (name is not null && !TemplateNamePattern().IsMatch(name))
        {
            reader.Add("$.name", "must be 1 to 63 lower-case letters, digits and '-', starting with a letter (^[a-z][a-z0-9-]{0,62}$)");
        }

        var version = reader.Integer(template, "version", "$", required: true, 1, int.MaxValue);

        var (inputSchema, declaredInputs) = await ReadInputsAsync(reader, template, cancellationToken);
        var phases = await ReadPhasesAsync(reader, template, declaredInputs, cancellationToken);
        var budget = ReadBudget(reader, template);
        var timeoutSeconds = reader.Integer(template, "timeoutSeconds", "$", required: false, 1, TemplateLimits.MaxRunTimeoutSeconds)
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
        Reader reader, JsonObject template, CancellationToken cancellationToken)
    {
        var inputs = reader.Object(template, "inputs", "$", required: false);
        if (inputs is null)
        {
            return (null, null);
        }

        reader.RejectUnknown(inputs, "$.inputs", s_inputsFields);
        var schema = reader.Object(inputs, "schema", "$.inputs", required: false);
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
        return (await reader.SchemaAsync(schema, "$.inputs.schema", cancellationToken), declared);
    }

    private static async Task<IReadOnlyList<TemplatePhase>> ReadPhasesAsync(
        Reader reader, JsonObject template, IReadOnlySet<string>? declaredInputs, CancellationToken cancellationToken)
    {
        var array = reader.Array(template, "phases", "$", required: true);
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
            if (array[i] is JsonObject phase && IsString(phase["key"], out var key))
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
                reader.Add(path, $"must be an object, got {Describe(array[i])}");
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
        Reader reader,
        JsonObject phase,
        string path,
        int index,
        Dictionary<string, int> positions,
        IReadOnlySet<string>? declaredInputs,
        CancellationToken cancellationToken)
    {
        reader.RejectUnknown(phase, path, s_phaseFields);

        var key = reader.String(phase, "key", path, required: true);
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

        var executor = reader.String(phase, "executor", path, required: true);
        if (executor is not null && !PhaseExecutors.Known.Contains(executor))
        {
            reader.Add($"{path}.executor", $"unknown executor \"{executor}\" (known: {string.Join(", ", PhaseExecutors.Known)})");
        }

        // A run phase's children get their inputs from its settings, so it needs those and no instructions.
        var startsChildRuns = string.Equals(executor, PhaseExecutors.Run, StringComparison.Ordinal);
        var scope = new ReferenceScope(key, index, positions, declaredInputs);

        var settings = reader.Object(phase, "settings", path, required: startsChildRuns);
        IReadOnlyList<InstructionReference> childInputReferences = [];
        if (startsChildRuns && settings is not null)
        {
            childInputReferences = ReadChildRunSettings(reader, settings, $"{path}.settings", scope);
        }

        var instructions = reader.String(phase, "instructions", path, required: !startsChildRuns);
        IReadOnlyList<InstructionReference> references = [];
        if (instructions is not null)
        {
            references = ReadInstructions(reader, instructions, $"{path}.instructions", scope);
        }

        TemplateSchema? artifactSchema = null;
        var artifact = reader.Object(phase, "artifact", path, required: true);
        if (artifact is not null)
        {
            reader.RejectUnknown(artifact, $"{path}.artifact", s_artifactFields);
            var schema = reader.Object(artifact, "schema", $"{path}.artifact", required: true);
            if (schema is not null)
            {
                artifactSchema = await reader.SchemaAsync(schema, $"{path}.artifact.schema", cancellationToken);
            }
        }

        var repairAttempts = reader.Integer(phase, "repairAttempts", path, required: false, 0, TemplateLimits.MaxRepairAttempts)
            ?? TemplatePhase.DefaultRepairAttempts;
        var retry = ReadRetry(reader, phase, path);
        var timeoutSeconds = reader.Integer(phase, "timeoutSeconds", path, required: false, 1, TemplateLimits.MaxPhaseTimeoutSeconds)
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

    private static IReadOnlyList<InstructionReference> ReadInstructions(Reader reader, string instructions, string path, ReferenceScope scope)
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
        Reader reader, string text, string path, ReferenceScope scope, bool childInputs, bool hasForEach)
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

    private static RetryPolicy ReadRetry(Reader reader, JsonObject phase, string path)
    {
        var retry = reader.Object(phase, "retry", path, required: false);
        if (retry is null)
        {
            return RetryPolicy.Default;
        }

        var retryPath = $"{path}.retry";
        reader.RejectUnknown(retry, retryPath, s_retryFields);
        var maxAttempts = reader.Integer(retry, "maxAttempts", retryPath, required: false, 1, TemplateLimits.MaxRetryAttempts);
        var backoff = reader.Number(retry, "backoffSeconds", retryPath, 0, TemplateLimits.MaxBackoffSeconds);
        var multiplier = reader.Number(retry, "backoffMultiplier", retryPath, 1, TemplateLimits.MaxBackoffMultiplier);
        return new RetryPolicy(
            (int)(maxAttempts ?? RetryPolicy.Default.MaxAttempts),
            backoff ?? RetryPolicy.Default.BackoffSeconds,
            multiplier ?? RetryPolicy.Default.BackoffMultiplier);
    }

    private static List<ApprovalGate> ReadGates(Reader reader, JsonObject phase, string path)
    {
        var gates = new List<ApprovalGate>();
        var array = reader.Array(phase, "gates", path, required: false);
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
                case JsonValue when IsString(array[i], out var plain):
                    name = plain;
                    break;
                case JsonObject gate:
                    reader.RejectUnknown(gate, gatePath, s_gateFields);
                    name = reader.String(gate, "name", gatePath, required: true);
                    expiresAfterSeconds = reader.Integer(gate, "expiresAfterSeconds", gatePath, required: false, 1, int.MaxValue);
                    gatePath += ".name";
                    break;
                default:
                    reader.Add(gatePath, $"must be a gate name or {{name, expiresAfterSeconds}}, got {Describe(array[i])}");
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

    private static Budget? ReadBudget(Reader reader, JsonObject template)
    {
        var budget = reader.Object(template, "budget", "$", required: false);
        if (budget is null)
        {
            return null;
        }

        reader.RejectUnknown(budget, "$.budget", s_budgetFields);
        var maxCostUsd = reader.PositiveDecimal(budget, "maxCostUsd", "$.budget");
        var maxTokens = reader.Integer(budget, "maxTokens", "$.budget", required: false, 1, long.MaxValue);
        return maxCostUsd is null && maxTokens is null ? null : new Budget { MaxCostUsd = maxCostUsd, MaxTokens = maxTokens };
    }

    private static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    internal static bool IsString(JsonNode? node, out string value)
    {
        if (node is JsonValue json && json.GetValueKind() == JsonValueKind.String)
        {
            value = json.GetValue<string>();
            return true;
        }

        value = string.Empty;
        return false;
    }

    private static bool IsString(JsonNode? node, string expected) =>
        IsString(node, out var value) && string.Equals(value, expected, StringComparison.Ordinal);

    /// <summary>A JSON value's kind in words, for messages: <c>an object</c>, <c>a string</c>, <c>null</c>, …</summary>
    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
    };

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

    /// <summary>Reads typed fields, recording a problem for each one that is missing or of the wrong type or range.</summary>
    private sealed class Reader
    {
        public List<ValidationProblem> Problems { get; } = [];

        public void Add(string path, string message) => Problems.Add(new ValidationProblem(path, message));

        public void RejectUnknown(JsonObject obj, string path, string[] known)
        {
            foreach (var (name, _) in obj)
            {
                if (!known.Contains(name, StringComparer.Ordinal))
                {
                    Add($"{path}.{name}", $"unknown field (allowed here: {string.Join(", ", known)})");
                }
            }
        }

        public JsonObject? Object(JsonObject parent, string name, string path, bool required) =>
            Read<JsonObject>(parent, name, path, required, "an object");

        public JsonArray? Array(JsonObject parent, string name, string path, bool required) =>
            Read<JsonArray>(parent, name, path, required, "an array");

        public string? String(JsonObject parent, string name, string path, bool required)
        {
            var node = Read<JsonNode>(parent, name, path, required, "a string");
            if (node is null)
            {
                return null;
            }

            if (!IsString(node, out var value))
            {
                Add($"{path}.{name}", $"must be a string, got {Describe(node)}");
                return null;
            }

            return value;
        }

        public long? Integer(JsonObject parent, string name, string path, bool required, long min, long max)
        {
            var number = ReadNumber(parent, name, path, required, "an integer");
            if (number is not { } value)
            {
                return null;
            }

            if (Math.Floor(value) != value)
            {
                Add($"{path}.{name}", $"must be an integer, got {value.ToString(CultureInfo.InvariantCulture)}");
                return null;
            }

            if (value < min || value > max)
            {
                Add($"{path}.{name}", max == long.MaxValue ? $"must be at least {min}" : $"must be between {min} and {max}");
                return null;
            }

            return (long)value;
        }

        public double? Number(JsonObject parent, string name, string path, double min, double max)
        {
            var number = ReadNumber(parent, name, path, required: false, "a number");
            if (number is { } value && (value < min || value > max))
            {
                Add($"{path}.{name}", $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}");
                return null;
            }

            return number;
        }

        public decimal? PositiveDecimal(JsonObject parent, string name, string path)
        {
            var node = Read<JsonNode>(parent, name, path, required: false, "a number");
            if (node is null)
            {
                return null;
            }

            if (node.GetValueKind() != JsonValueKind.Number
                || !decimal.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                Add($"{path}.{name}", $"must be a number, got {Describe(node)}");
                return null;
            }

            if (value <= 0)
            {
                Add($"{path}.{name}", "must be positive");
                return null;
            }

            return value;
        }

        public async Task<TemplateSchema?> SchemaAsync(JsonObject schema, string path, CancellationToken cancellationToken)
        {
            var before = Problems.Count;
            var loaded = await JsonSchemas.LoadAsync(schema, cancellationToken);
            var draftSeven = await DraftSevenMetaSchema.CheckAsync(schema, path);
            foreach (var problem in loaded.Problems)
            {
                // NJsonSchema's own complaint names .NET types; the meta-schema's says the same in the author's terms.
                if (draftSeven.Count == 0 || !problem.StartsWith("not a valid JSON Schema", StringComparison.Ordinal))
                {
                    AddSchemaProblem(path, problem);
                }
            }

            Problems.AddRange(draftSeven);
            Problems.AddRange(DraftSevenMetaSchema.CheckPatterns(schema, path));
            return loaded.Schema is { } compiled && Problems.Count == before
                ? new TemplateSchema(ToElement(schema), compiled)
                : null;
        }

        /// <summary>Adds a <see cref="JsonSchemas"/> problem; one located in the schema (<c>#/a/b: …</c>) gets that location in its path.</summary>
        private void AddSchemaProblem(string path, string problem)
        {
            var separator = problem.IndexOf(": ", StringComparison.Ordinal);
            if (problem.StartsWith('#') && separator > 0)
            {
                Add(path + DraftSevenMetaSchema.ToDotted(problem[..separator]), problem[(separator + 2)..]);
            }
            else
            {
                Add(path, problem);
            }
        }

        private double? ReadNumber(JsonObject parent, string name, string path, bool required, string expected)
        {
            var node = Read<JsonNode>(parent, name, path, required, expected);
            if (node is null)
            {
                return null;
            }

            if (node.GetValueKind() != JsonValueKind.Number
                || !double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                || !double.IsFinite(value))
            {
                Add($"{path}.{name}", $"must be {expected}, got {Describe(node)}");
                return null;
            }

            return value;
        }

        private T? Read<T>(JsonObject parent, string name, string path, bool required, string expected)
            where T : JsonNode
        {
            if (!parent.TryGetPropertyValue(name, out var node))
            {
                if (required)
                {
                    Add($"{path}.{name}", "is required");
                }

                return null;
            }

            if (node is not T typed)
            {
                Add($"{path}.{name}", $"must be {expected}, got {Describe(node)}");
                return null;
            }

            return typed;
        }
    }
}
