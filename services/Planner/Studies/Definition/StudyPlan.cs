using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>One condition of a study: an assignment of every factor.</summary>
/// <param name="ConditionId"><c>c</c> + 12 hex digits (<see cref="StudyIdentity.ConditionId"/>).</param>
/// <param name="Factors">The assignment, keyed by factor key as the definition spells it, in the definition's factor
/// order: the <c>factors</c> the API shows. Do not modify it.</param>
public sealed record StudyCondition(string ConditionId, JsonObject Factors);

/// <summary>One run of the plan.</summary>
/// <param name="PlanIndex">Its position in the plan, from 0: the order runs are started in.</param>
/// <param name="RunId">UUIDv5 of <c>{studyId}:{conditionId}:{replicate}</c> (<see cref="StudyIdentity.RunId"/>).</param>
/// <param name="ConditionId">The condition it runs.</param>
/// <param name="Replicate">From 1 to the definition's <c>replicates</c>.</param>
/// <param name="Seed">Its <c>model.seed</c> (<see cref="StudyIdentity.RunSeed"/>).</param>
public sealed record PlannedRun(int PlanIndex, Guid RunId, string ConditionId, int Replicate, long Seed);

/// <summary>
/// A valid study's plan: its conditions in plan order and every run it starts, in order (see
/// <see cref="StudyDefinition"/> for the order). Planning the same definition again gives the same plan.
/// </summary>
public sealed class StudyPlan
{
    private readonly Dictionary<string, StudyCondition> _conditions;

    internal StudyPlan(StudyDefinition definition, IReadOnlyList<StudyCondition> conditions, IReadOnlyList<PlannedRun> runs)
    {
        Definition = definition;
        Conditions = conditions;
        Runs = runs;
        _conditions = conditions.ToDictionary(c => c.ConditionId, StringComparer.Ordinal);
    }

    /// <summary>The definition planned.</summary>
    public StudyDefinition Definition { get; }

    /// <summary>The study's id (<see cref="StudyDefinition.StudyId"/>).</summary>
    public Guid StudyId => Definition.StudyId;

    /// <summary>The <c>sha256:</c> digest of the canonical definition (<see cref="StudyDefinition.Digest"/>).</summary>
    public string DefinitionDigest => Definition.Digest;

    /// <summary>The conditions, in plan order, exclusions left out.</summary>
    public IReadOnlyList<StudyCondition> Conditions { get; }

    /// <summary>Every planned run, in plan order (conditions in order, replicates 1..n within each).</summary>
    public IReadOnlyList<PlannedRun> Runs { get; }

    /// <summary>The condition with id <paramref name="conditionId"/>.</summary>
    /// <exception cref="KeyNotFoundException">The plan has no such condition.</exception>
    public StudyCondition Condition(string conditionId) => _conditions[conditionId];

    /// <summary>
    /// The <see cref="StartRun"/> of <paramref name="run"/>: the definition's template; its base <c>inputs</c> and
    /// <c>model</c> with the condition's factor values set at their paths (intermediate objects created where absent)
    /// and <c>model.seed</c> = the run's seed; labels = the study's labels plus <c>studyId</c>, <c>conditionId</c> and
    /// <c>replicate</c> (as strings). Other options are left at their defaults (no <c>force</c>: an identical completed
    /// run is reused). Every call builds fresh objects.
    /// </summary>
    public StartRun StartRunFor(PlannedRun run, string? requestedBy = null)
    {
        ArgumentNullException.ThrowIfNull(run);

        var condition = Condition(run.ConditionId);
        var inputs = (JsonObject)Definition.Inputs.DeepClone();
        var model = (JsonObject)Definition.Model.DeepClone();
        foreach (var factor in Definition.Factors)
        {
            SetAt(factor.Target == FactorTarget.Inputs ? inputs : model, factor.Fields, condition.Factors[factor.Key]);
        }

        model["seed"] = run.Seed;

        var labels = new Dictionary<string, string>(Definition.Labels, StringComparer.Ordinal)
        {
            ["studyId"] = StudyId.ToString("D"),
            ["conditionId"] = run.ConditionId,
            ["replicate"] = run.Replicate.ToString(CultureInfo.InvariantCulture),
        };

        return new StartRun
        {
            RunId = run.RunId,
            Template = Definition.Template,
            Inputs = inputs,
            Model = model,
            Options = new RunOptions { Labels = labels },
            RequestedBy = requestedBy,
        };
    }

    /// <summary>Sets <paramref name="value"/> (a copy) at <paramref name="fields"/> under <paramref name="root"/>, creating objects on the way.</summary>
    internal static void SetAt(JsonObject root, IReadOnlyList<string> fields, JsonNode? value)
    {
        var target = root;
        foreach (var field in fields.Take(fields.Count - 1))
        {
            if (target[field] is not JsonObject next)
            {
                // The reader refuses a base value that is not an object on the factor's path: this only creates.
                next = new JsonObject();
                target[field] = next;
            }

            target = next;
        }

        target[fields[^1]] = value?.DeepClone();
    }
}
