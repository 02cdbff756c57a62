using System.Globalization;
using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;
using RunMesh.Schemas;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>The outcome of <see cref="StudyPlanner.PlanAsync"/>: the plan, or every problem found in the definition.</summary>
/// <param name="Plan">The plan; <see langword="null"/> when there are problems.</param>
/// <param name="Problems">Every problem found; empty when the study can be planned.</param>
public sealed record StudyPlanResult(StudyPlan? Plan, IReadOnlyList<ValidationProblem> Problems)
{
    /// <summary>Whether the study can be planned.</summary>
    public bool IsPlanned => Plan is not null;
}

/// <summary>
/// Validates a study definition and plans it: its conditions, its runs, their ids and seeds (DESIGN.md, "Studies (the
/// planner)"). Pure: the caller parses the text (<see cref="StudyDefinitionReader.Parse"/>), looks the template up
/// (<see cref="StudyDefinitionReader.TemplateOf"/>) and passes its <c>inputs.schema</c>.
/// </summary>
/// <remarks>
/// The number of runs is computed before anything is enumerated — the product of the level counts, less what the
/// exclusions remove (counted without enumerating the grid), times <c>replicates</c> — and a plan over <c>maxRuns</c>
/// or <see cref="StudyLimits.MaxRunsPerStudy"/> is refused without being built: a grid of 10^12 conditions costs
/// microseconds.
/// </remarks>
public static class StudyPlanner
{
    /// <summary>How much work counting the conditions exclusions remove may take before the grid is refused as too large.</summary>
    private const long MaxCountingWork = 500_000;

    private static readonly JsonSerializerOptions s_messageJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Checks <paramref name="definition"/> (read, never changed) and plans it. Problems listed together: every field
    /// problem (<see cref="StudyDefinitionReader"/>), a plan with more runs than <c>maxRuns</c> (path
    /// <c>$.maxRuns</c>) or than <paramref name="limits"/> allow (path <c>$</c>), and — when
    /// <paramref name="inputSchema"/> is given — each condition whose inputs (the base inputs with the condition's
    /// <c>inputs.…</c> factors set) the schema refuses, path <c>conditions[{conditionId}]</c>, message
    /// <c>{factors}: $.inputs.…: {error}; …</c> (at most <see cref="StudyLimits.MaxConditionsReported"/> conditions named,
    /// the rest counted in one more problem). An unknown template is the caller's problem to add.
    /// </summary>
    /// <param name="definition">The definition's JSON form.</param>
    /// <param name="inputSchema">The template's <c>inputs.schema</c>; <see langword="null"/> when it has none (or when re-planning a study already accepted).</param>
    /// <param name="limits">The planner's limits.</param>
    /// <param name="cancellationToken">Cancels loading the schema.</param>
    public static async Task<StudyPlanResult> PlanAsync(
        JsonObject definition, JsonObject? inputSchema, StudyLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(limits);

        var parts = StudyDefinitionReader.ReadParts(definition);
        var problems = new List<ValidationProblem>(parts.Problems);

        List<StudyCondition>? conditions = null;
        if (parts is { Factors: { } factors, Exclusions: { } exclusions, Replicates: { } replicates })
        {
            var grid = new ConditionGrid(factors.Select(f => f.Levels.Count).ToList(), exclusions);
            // Over maxRuns alone, a grid within the planner's limit is still enumerated: its conditions' inputs are
            // checked too, so that one answer lists every problem. Over the limit, it is never built.
            if (CheckRunCount(grid, replicates, parts.MaxRuns, limits, problems) || grid.FullCount * replicates <= limits.MaxRunsPerStudy)
            {
                conditions = grid.Enumerate().Select(levels => Condition(factors, levels)).ToList();
            }
        }

        if (inputSchema is not null && conditions is not null && parts is { Factors: { } inputFactors, BaseInputs: { } baseInputs })
        {
            var loaded = await JsonSchemas.LoadAsync(inputSchema, cancellationToken);
            if (loaded.Schema is { } schema)
            {
                CheckInputs(schema, baseInputs, inputFactors, conditions, problems);
            }
            else
            {
                problems.AddRange(loaded.Problems.Select(p => new ValidationProblem("$.template", $"the template's inputs.schema cannot be used: {p}")));
            }
        }

        if (problems.Count > 0 || parts.Definition is not { } study || conditions is null)
        {
            return new StudyPlanResult(null, problems);
        }

        var runs = new List<PlannedRun>(conditions.Count * study.Replicates);
        foreach (var condition in conditions)
        {
            for (var replicate = 1; replicate <= study.Replicates; replicate++)
            {
                runs.Add(new PlannedRun(
                    runs.Count,
                    StudyIdentity.RunId(study.StudyId, condition.ConditionId, replicate),
                    condition.ConditionId,
                    replicate,
                    StudyIdentity.RunSeed(study.Seed, condition.ConditionId, replicate)));
            }
        }

        return new StudyPlanResult(new StudyPlan(study, conditions, runs), []);
    }

    /// <summary>Whether the plan's runs fit <c>maxRuns</c> and the planner's limit; counted, never enumerated.</summary>
    private static bool CheckRunCount(ConditionGrid grid, int replicates, int? maxRuns, StudyLimits limits, List<ValidationProblem> problems)
    {
        var allowed = Math.Min(maxRuns ?? int.MaxValue, limits.MaxRunsPerStudy);
        var full = grid.FullCount;
        if (full * replicates <= allowed)
        {
            return true;
        }

        // Counted exactly when that is cheap; otherwise a lower bound over the limit refuses the plan just as well.
        var remaining = grid.CountRemaining(MaxCountingWork);
        var atLeast = false;
        if (remaining is null)
        {
            var lowerBound = grid.LowerBound;
            if (lowerBound * replicates <= allowed)
            {
                problems.Add(new ValidationProblem("$",
                    $"the grid has {Counted(full, "condition")} before its exclusions ({Counted(full * replicates, "run")} with {Counted(replicates, "replicate")}), more than the {Counted(allowed, "run")} allowed, and too many exclusions to count what they leave; use fewer levels or split the study"));
                return false;
            }

            remaining = lowerBound;
            atLeast = true;
        }

        var runs = remaining.Value * replicates;
        var bound = atLeast ? "at least " : "";
        var plan = $"the plan has {bound}{Counted(runs, "run")} ({bound}{Counted(remaining.Value, "condition")} × {Counted(replicates, "replicate")})";
        if (maxRuns is { } max && runs > max)
        {
            problems.Add(new ValidationProblem("$.maxRuns", string.Create(CultureInfo.InvariantCulture,
                $"{plan}, more than maxRuns ({max:N0}); use fewer levels or replicates, exclude conditions, or raise maxRuns")));
        }

        if (runs > limits.MaxRunsPerStudy)
        {
            problems.Add(new ValidationProblem("$", string.Create(CultureInfo.InvariantCulture,
                $"{plan}, more than the {Counted(limits.MaxRunsPerStudy, "run")} a study may have; use fewer levels or replicates, exclude conditions, or split the study")));
        }

        return runs <= allowed;
    }

    /// <summary><c>1 run</c>, <c>9,000 runs</c>.</summary>
    private static string Counted(BigInteger count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {noun}{(count == 1 ? "" : "s")}");

    private static StudyCondition Condition(IReadOnlyList<StudyFactor> factors, int[] levels)
    {
        var assignment = new JsonObject();
        for (var i = 0; i < factors.Count; i++)
        {
            assignment[factors[i].Key] = factors[i].Levels[levels[i]]?.DeepClone();
        }

        return new StudyCondition(StudyIdentity.ConditionId(assignment), assignment);
    }

    /// <summary>
    /// Validates each condition's inputs against the template's schema. Conditions that differ only in <c>model.…</c>
    /// factors have the same inputs, so each distinct assignment of the <c>inputs.…</c> factors is validated once.
    /// </summary>
    private static void CheckInputs(
        CompiledSchema schema, JsonObject baseInputs, IReadOnlyList<StudyFactor> factors, List<StudyCondition> conditions, List<ValidationProblem> problems)
    {
        var inputFactors = factors.Where(f => f.Target == FactorTarget.Inputs).ToList();
        var verdicts = new Dictionary<string, string?>(StringComparer.Ordinal);
        var failing = 0;
        foreach (var condition in conditions)
        {
            var key = string.Join('\n', inputFactors.Select(f => condition.Factors[f.Key]?.ToJsonString() ?? "null"));
            if (!verdicts.TryGetValue(key, out var errors))
            {
                var inputs = (JsonObject)baseInputs.DeepClone();
                foreach (var factor in inputFactors)
                {
                    StudyPlan.SetAt(inputs, factor.Fields, condition.Factors[factor.Key]);
                }

                var found = schema.FindErrors(inputs);
                errors = found.Count == 0 ? null : string.Join("; ", found.Select(e => $"$.inputs{e.Path[1..]}: {e.Message}"));
                verdicts[key] = errors;
            }

            if (errors is not null && ++failing <= StudyLimits.MaxConditionsReported)
            {
                problems.Add(new ValidationProblem(
                    $"conditions[{condition.ConditionId}]", $"{condition.Factors.ToJsonString(s_messageJson)}: {errors}"));
            }
        }

        if (failing > StudyLimits.MaxConditionsReported)
        {
            problems.Add(new ValidationProblem("conditions", string.Create(CultureInfo.InvariantCulture,
                $"{failing - StudyLimits.MaxConditionsReported:N0} more conditions give inputs the template's inputs.schema refuses ({failing:N0} in all)")));
        }
    }
}
