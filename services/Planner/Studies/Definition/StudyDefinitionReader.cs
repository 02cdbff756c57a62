using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>The outcome of <see cref="StudyDefinitionReader.Read"/>: the definition, or every problem found in it.</summary>
/// <param name="Definition">The definition; <see langword="null"/> when there are problems.</param>
/// <param name="Problems">Every problem found; empty when the definition is valid.</param>
public sealed record StudyDefinitionResult(StudyDefinition? Definition, IReadOnlyList<ValidationProblem> Problems)
{
    /// <summary>Whether the definition is valid.</summary>
    public bool IsValid => Definition is not null;
}

/// <summary>
/// Reads a study definition (DESIGN.md, "Studies (the planner)") from its text or JSON form and checks every field,
/// listing every problem at once, each with its JSON path. Factor keys contain dots, so paths name them in brackets:
/// <c>$.factors['inputs.tone'][1]</c>, <c>$.exclude[0]['model.temperature']</c>. How many runs the definition plans and
/// whether they fit the template's inputs is <see cref="StudyPlanner"/>'s business.
/// </summary>
public static partial class StudyDefinitionReader
{
    /// <summary>The largest magnitude of <c>seed</c>: 2^53 − 1, so that the seed a person wrote is the seed the digest saw.</summary>
    public const long MaxSeedMagnitude = (1L << 53) - 1;

    /// <summary>Labels the planner sets on each run; a definition cannot set them.</summary>
    public static readonly IReadOnlyList<string> RunLabels = ["studyId", "conditionId", "replicate"];

    private static readonly DocumentLimits s_limits = new("study definition", StudyLimits.MaxDefinitionBytes, StudyLimits.MaxDepth);
    private static readonly string[] s_fields =
        ["name", "template", "inputs", "model", "factors", "exclude", "replicates", "seed", "parallelism", "maxRuns", "failFast", "budget", "labels"];
    private static readonly string[] s_budgetFields = ["maxCostUsd", "maxTokens"];

    /// <summary>
    /// Reads a definition's text, YAML or JSON, into its JSON form: a content type naming one decides; without one,
    /// JSON is tried first (see <see cref="ObjectDocument.Parse"/>). At most <see cref="StudyLimits.MaxDefinitionBytes"/>.
    /// </summary>
    public static ObjectDocumentResult Parse(string text, string? contentType = null) => ObjectDocument.Parse(text, contentType, s_limits);

    /// <summary>
    /// The definition's <c>template</c> when it is a well-formed reference (<c>name@version</c> or <c>sha256:…</c>),
    /// whatever else is wrong with the definition: the caller looks the template up (to report an unknown one, and to
    /// pass its <c>inputs.schema</c> to <see cref="StudyPlanner.PlanAsync"/>) in the same round as every other problem.
    /// </summary>
    public static string? TemplateOf(JsonObject definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition["template"] is JsonValue value && value.TryGetValue<string>(out var template) && IsTemplateReference(template)
            ? template
            : null;
    }

    /// <summary>Checks every field of <paramref name="definition"/> (read, never changed) and builds the <see cref="StudyDefinition"/>.</summary>
    public static StudyDefinitionResult Read(JsonObject definition)
    {
        var parts = ReadParts(definition);
        return new StudyDefinitionResult(parts.Definition, parts.Problems);
    }

    /// <summary>
    /// Reads the definition, keeping what could be read even when other fields have problems: the planner still counts
    /// the runs of a definition whose labels are wrong, so that the author learns both at once.
    /// </summary>
    internal static StudyDefinitionParts ReadParts(JsonObject definition)
    {
        ArgumentNullException.ThrowIfNull(definition);

        var reader = new FieldReader();
        reader.RejectUnknown(definition, "$", s_fields);

        var name = reader.ReadString(definition, "name", "$", required: true);
        if (name is not null && !StudyNamePattern().IsMatch(name))
        {
            reader.Add("$.name", "must be 1 to 63 lower-case letters, digits and '-', starting with a letter (^[a-z][a-z0-9-]{0,62}$)");
        }

        var template = reader.ReadString(definition, "template", "$", required: true);
        if (template is not null && !IsTemplateReference(template))
        {
            reader.Add("$.template",
                "must be name@version (a template name, ^[a-z][a-z0-9-]{0,62}$, and an integer version from 1, e.g. spec-review@3) "
                + $"or sha256: and 64 lower-case hex digits, got \"{template}\"");
        }

        var inputs = reader.ReadObject(definition, "inputs", "$", required: false) ?? new JsonObject();
        var model = reader.ReadObject(definition, "model", "$", required: false) ?? new JsonObject();
        var baseValuesRead = !reader.HasProblemAt("$.inputs") && !reader.HasProblemAt("$.model");
        if (model.ContainsKey("seed"))
        {
            reader.Add("$.model.seed", "is set for each run from the study's seed; set the study's seed instead");
        }

        var factors = ReadFactors(reader, definition, baseValuesRead ? (inputs, model) : null);
        var exclusions = factors is null ? null : ReadExclusions(reader, definition, factors);
        var replicates = reader.ReadInteger(definition, "replicates", "$", required: false, 1, int.MaxValue);
        var seed = reader.ReadInteger(definition, "seed", "$", required: false, -MaxSeedMagnitude, MaxSeedMagnitude);
        var parallelism = reader.ReadInteger(definition, "parallelism", "$", required: false, 1, StudyLimits.MaxParallelism);
        var maxRuns = reader.ReadInteger(definition, "maxRuns", "$", required: false, 1, int.MaxValue);
        var failFast = reader.ReadBoolean(definition, "failFast", "$");
        var budget = ReadBudget(reader, definition);
        var labels = ReadLabels(reader, definition);

        var replicatesRead = !reader.HasProblemAt("$.replicates");
        var maxRunsRead = !reader.HasProblemAt("$.maxRuns");
        var canonical = Canonical(reader, definition);

        StudyDefinition? study = null;
        if (reader.Problems.Count == 0)
        {
            var digest = Digest.Sha256(Encoding.UTF8.GetBytes(canonical!.Value.Text));
            study = new StudyDefinition
            {
                Name = name!,
                Template = template!,
                Inputs = (JsonObject)inputs.DeepClone(),
                Model = (JsonObject)model.DeepClone(),
                Factors = factors!,
                Exclude = (definition["exclude"] as JsonArray ?? []).Select(e => (JsonObject)e!.DeepClone()).ToList(),
                Replicates = (int)(replicates ?? 1),
                Seed = seed ?? 0,
                Parallelism = (int)(parallelism ?? StudyLimits.DefaultParallelism),
                MaxRuns = (int?)maxRuns,
                FailFast = failFast ?? false,
                Budget = budget,
                Labels = labels,
                Json = canonical.Value.Json,
                Digest = digest,
                StudyId = StudyIdentity.StudyId(digest),
            };
        }

        return new StudyDefinitionParts(
            study,
            reader.Problems,
            factors,
            exclusions,
            replicatesRead ? (int)(replicates ?? 1) : null,
            maxRunsRead ? (int?)maxRuns : null,
            baseValuesRead ? inputs : null);
    }

    private static List<StudyFactor>? ReadFactors(FieldReader reader, JsonObject definition, (JsonObject Inputs, JsonObject Model)? baseValues)
    {
        var factorsObject = reader.ReadObject(definition, "factors", "$", required: false);
        if (factorsObject is null)
        {
            return reader.HasProblemAt("$.factors") ? null : [];
        }

        var before = reader.Problems.Count;
        if (factorsObject.Count > StudyLimits.MaxFactors)
        {
            reader.Add("$.factors", $"has {factorsObject.Count} factors; at most {StudyLimits.MaxFactors} are allowed");
        }

        var factors = new List<StudyFactor>();
        foreach (var (key, value) in factorsObject)
        {
            var path = KeyPath("$.factors", key);
            var target = ReadFactorPath(reader, key, path);
            var levels = ReadLevels(reader, value, path);
            if (target is { } read && levels is not null)
            {
                factors.Add(new StudyFactor(key, read.Target, read.Fields, levels));
            }
        }

        CheckOverlaps(reader, factors);
        if (baseValues is { } values)
        {
            foreach (var factor in factors)
            {
                CheckBaseValue(reader, factor, factor.Target == FactorTarget.Inputs ? values.Inputs : values.Model);
            }
        }

        return reader.Problems.Count == before ? factors : null;
    }

    private static (FactorTarget Target, string[] Fields)? ReadFactorPath(FieldReader reader, string key, string path)
    {
        var segments = key.Split('.');
        FactorTarget? target = segments[0] switch
        {
            "inputs" => FactorTarget.Inputs,
            "model" => FactorTarget.Model,
            _ => null,
        };

        if (target is null || segments.Length < 2)
        {
            reader.Add(path, "is not a path under inputs. or model. (e.g. inputs.tone, model.temperature): a factor sets a field of each run's inputs or model");
            return null;
        }

        if (segments.Any(s => s.Length == 0))
        {
            reader.Add(path, "has an empty field name (two dots in a row, or a dot at the end)");
            return null;
        }

        if (target == FactorTarget.Model && segments[1] == "seed")
        {
            reader.Add(path, "model.seed is set for each run from the study's seed; it cannot be a factor (vary seed or replicates instead)");
            return null;
        }

        return (target.Value, segments[1..]);
    }

    private static List<JsonNode?>? ReadLevels(FieldReader reader, JsonNode? value, string path)
    {
        if (value is not JsonArray array)
        {
            reader.Add(path, $"must be an array of levels (the values the factor takes), got {FieldReader.Describe(value)}");
            return null;
        }

        if (array.Count == 0)
        {
            reader.Add(path, "has no levels; give at least one value");
            return null;
        }

        var before = reader.Problems.Count;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var levels = new List<JsonNode?>();
        for (var i = 0; i < array.Count; i++)
        {
            if (CanonicalOf(reader, array[i], $"{path}[{i}]") is not { } canonical)
            {
                continue;
            }

            if (!seen.TryAdd(canonical, i))
            {
                reader.Add($"{path}[{i}]", $"repeats level [{seen[canonical]}] ({canonical}); each level may appear once");
            }

            // Kept in canonical form: the same study shows the same factors whether it was written 0.70 or 0.7, in YAML or JSON.
            levels.Add(JsonNode.Parse(canonical));
        }

        return reader.Problems.Count == before ? levels : null;
    }

    /// <summary>A factor whose path lies inside another's value would be overwritten by it, or overwrite part of it.</summary>
    private static void CheckOverlaps(FieldReader reader, List<StudyFactor> factors)
    {
        foreach (var inner in factors)
        {
            var outer = factors.FirstOrDefault(f => f != inner && f.Target == inner.Target
                && f.Fields.Count < inner.Fields.Count && f.Fields.SequenceEqual(inner.Fields.Take(f.Fields.Count), StringComparer.Ordinal));
            if (outer is not null)
            {
                reader.Add(KeyPath("$.factors", inner.Key), $"lies inside factor {outer.Key}; a factor cannot set a field inside another factor's value");
            }
        }
    }

    /// <summary>The base inputs or model must leave room for the factor: every field on its way is an object or absent.</summary>
    private static void CheckBaseValue(FieldReader reader, StudyFactor factor, JsonObject baseValue)
    {
        JsonNode? node = baseValue;
        for (var depth = 0; depth < factor.Fields.Count - 1; depth++)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(factor.Fields[depth], out node))
            {
                return;
            }

            if (node is not JsonObject)
            {
                var where = string.Join('.', factor.Fields.Take(depth + 1));
                var root = factor.Target == FactorTarget.Inputs ? "inputs" : "model";
                reader.Add(KeyPath("$.factors", factor.Key), $"{root}.{where} is {FieldReader.Describe(node)} in the base {root}; a factor can only set a field inside an object");
                return;
            }
        }
    }

    private static List<int[]>? ReadExclusions(FieldReader reader, JsonObject definition, List<StudyFactor> factors)
    {
        var array = reader.ReadArray(definition, "exclude", "$", required: false);
        if (array is null)
        {
            return reader.HasProblemAt("$.exclude") ? null : [];
        }

        var before = reader.Problems.Count;
        var levelIndexes = factors.Select(f => f.Levels
                .Select((level, index) => (Canonical: CanonicalJson.SerializeToString(level), index))
                .ToDictionary(l => l.Canonical, l => l.index, StringComparer.Ordinal))
            .ToList();
        var factorIndexes = factors.Select((factor, index) => (factor.Key, index)).ToDictionary(f => f.Key, f => f.index, StringComparer.Ordinal);
        var exclusions = new List<int[]>();
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"$.exclude[{i}]";
            if (array[i] is not JsonObject assignment)
            {
                reader.Add(path, $"must be an object of factor key → level (a partial condition), got {FieldReader.Describe(array[i])}");
                continue;
            }

            if (assignment.Count == 0)
            {
                reader.Add(path, "is empty: it would exclude every condition; name at least one factor and its level");
                continue;
            }

            var exclusion = Enumerable.Repeat(ConditionGrid.Unconstrained, factors.Count).ToArray();
            foreach (var (key, level) in assignment)
            {
                var keyPath = KeyPath(path, key);
                if (!factorIndexes.TryGetValue(key, out var factorIndex))
                {
                    reader.Add(keyPath, factors.Count == 0
                        ? "names no factor: the study has no factors"
                        : $"names no factor (the factors are {string.Join(", ", factors.Select(f => f.Key))})");
                    continue;
                }

                if (CanonicalOf(reader, level, keyPath) is not { } canonical)
                {
                    continue;
                }

                if (!levelIndexes[factorIndex].TryGetValue(canonical, out var levelIndex))
                {
                    reader.Add(keyPath, $"{canonical} is not a level of {key} (its levels: {ListLevels(levelIndexes[factorIndex].Keys)})");
                    continue;
                }

                exclusion[factorIndex] = levelIndex;
            }

            exclusions.Add(exclusion);
        }

        return reader.Problems.Count == before ? exclusions : null;
    }

    private static string ListLevels(IEnumerable<string> canonicalLevels)
    {
        const int Shown = 10;
        var levels = canonicalLevels.ToList();
        return levels.Count <= Shown
            ? string.Join(", ", levels)
            : string.Join(", ", levels.Take(Shown)) + $", … {levels.Count - Shown} more";
    }

    private static Budget? ReadBudget(FieldReader reader, JsonObject definition)
    {
        var budget = reader.ReadObject(definition, "budget", "$", required: false);
        if (budget is null)
        {
            return null;
        }

        reader.RejectUnknown(budget, "$.budget", s_budgetFields);
        var maxCostUsd = reader.ReadNonNegativeDecimal(budget, "maxCostUsd", "$.budget");
        var maxTokens = reader.ReadInteger(budget, "maxTokens", "$.budget", required: false, 0, long.MaxValue);
        return maxCostUsd is null && maxTokens is null ? null : new Budget { MaxCostUsd = maxCostUsd, MaxTokens = maxTokens };
    }

    private static Dictionary<string, string> ReadLabels(FieldReader reader, JsonObject definition)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var labelsObject = reader.ReadObject(definition, "labels", "$", required: false);
        foreach (var (key, value) in labelsObject ?? [])
        {
            var path = KeyPath("$.labels", key);
            if (RunLabels.Contains(key, StringComparer.Ordinal))
            {
                reader.Add(path, $"is set by the planner on each run ({string.Join(", ", RunLabels)}); choose another label name");
            }
            else if (FieldReader.IsString(value, out var text))
            {
                labels[key] = text;
            }
            else
            {
                reader.Add(path, $"must be a string, got {FieldReader.Describe(value)}");
            }
        }

        return labels;
    }

    /// <summary>The canonical definition (see <see cref="StudyDefinition"/>): the definition with its defaults filled in.</summary>
    private static (JsonObject Json, string Text)? Canonical(FieldReader reader, JsonObject definition)
    {
        var canonical = (JsonObject)definition.DeepClone();
        canonical.TryAdd("inputs", new JsonObject());
        canonical.TryAdd("model", new JsonObject());
        canonical.TryAdd("factors", new JsonObject());
        canonical.TryAdd("exclude", new JsonArray());
        canonical.TryAdd("replicates", 1);
        canonical.TryAdd("seed", 0);
        canonical.TryAdd("parallelism", StudyLimits.DefaultParallelism);
        canonical.TryAdd("failFast", false);
        canonical.TryAdd("labels", new JsonObject());
        if (CanonicalOf(reader, canonical, "$") is not { } text)
        {
            return null;
        }

        if (Encoding.UTF8.GetByteCount(text) > StudyLimits.MaxDefinitionBytes)
        {
            reader.Add("$", $"the study definition is larger than {StudyLimits.MaxDefinitionBytes / 1024} KiB");
            return null;
        }

        return (canonical, text);
    }

    /// <summary>The RFC 8785 form of <paramref name="node"/>, or <see langword="null"/> (and a problem) when it has none.</summary>
    private static string? CanonicalOf(FieldReader reader, JsonNode? node, string path)
    {
        try
        {
            return CanonicalJson.SerializeToString(node);
        }
        catch (CanonicalJsonException ex)
        {
            // Its message names the JSON path and the value, nothing of this process.
            reader.Add(path, $"has no canonical JSON form: {ex.Message}");
            return null;
        }
    }

    private static bool IsTemplateReference(string template) =>
        TemplateReferencePattern().IsMatch(template) || Digest.IsValid(template);

    /// <summary>A JSON path to a member whose name may contain dots: <c>$.factors['inputs.tone']</c>.</summary>
    internal static string KeyPath(string parent, string key) =>
        $"{parent}['{key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}']";

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex StudyNamePattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}@[1-9][0-9]{0,8}$", RegexOptions.CultureInvariant)]
    private static partial Regex TemplateReferencePattern();
}

/// <summary>What <see cref="StudyDefinitionReader.ReadParts"/> could read; each part <see langword="null"/> when it has problems.</summary>
/// <param name="Definition">The whole definition, when it has no problem at all.</param>
/// <param name="Problems">Every problem found.</param>
/// <param name="Factors">The factors, when they and the base inputs and model they set have no problem.</param>
/// <param name="Exclusions">The exclusions as level indexes per factor (<see cref="ConditionGrid.Unconstrained"/> where not constrained).</param>
/// <param name="Replicates">Runs per condition (1 when not given).</param>
/// <param name="MaxRuns">The author's limit on runs, when given and valid.</param>
/// <param name="BaseInputs">The base inputs, when they are an object (or absent: <c>{}</c>).</param>
internal sealed record StudyDefinitionParts(
    StudyDefinition? Definition,
    IReadOnlyList<ValidationProblem> Problems,
    IReadOnlyList<StudyFactor>? Factors,
    IReadOnlyList<int[]>? Exclusions,
    int? Replicates,
    int? MaxRuns,
    JsonObject? BaseInputs);
