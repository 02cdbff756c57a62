using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Studies;

/// <summary>
/// The <see cref="StartRun"/> of one planned run: the definition's base <c>inputs</c> and <c>model</c> with the
/// condition's factor values set at their paths, <c>model.seed</c> the run's seed, and the study's labels plus
/// <c>studyId</c>, <c>conditionId</c> and <c>replicate</c>.
/// </summary>
public static class StudyRunStarts
{
    /// <summary>The start of <paramref name="run"/> of <paramref name="study"/>.</summary>
    public static StartRun Of(StudyRecord study, StudyRunRow run)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(run);
        var inputs = study.Definition["inputs"] is JsonObject baseInputs ? baseInputs.DeepClone().AsObject() : new JsonObject();
        var model = study.Definition["model"] is JsonObject baseModel ? baseModel.DeepClone().AsObject() : new JsonObject();
        foreach (var (path, value) in run.Factors)
        {
            var segments = path.Split('.');
            StudyPlan.SetAt(segments[0] == "inputs" ? inputs : model, segments[1..], value);
        }

        model["seed"] = run.Seed;
        var labels = new Dictionary<string, string>(study.Labels)
        {
            ["studyId"] = study.CorrelationId.ToString(),
            ["conditionId"] = run.ConditionId,
            ["replicate"] = run.Replicate.ToString(CultureInfo.InvariantCulture),
        };
        return new StartRun
        {
            RunId = run.RunId,
            Template = $"{study.Template.Name}@{study.Template.Version}",
            Inputs = inputs,
            Model = model,
            Options = new RunOptions { Labels = labels },
            RequestedBy = study.RequestedBy,
        };
    }
}
