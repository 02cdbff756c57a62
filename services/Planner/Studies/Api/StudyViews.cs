using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RunMesh.Contracts;
using RunMesh.Planner.Studies.Definition;
using RunMesh.Planner.Studies.Results;

namespace RunMesh.Planner.Studies.Api;

/// <summary>How the studies API shows a study: its plan, a list item, or the whole study with its per-condition statistics.</summary>
internal static class StudyViews
{
    /// <summary>
    /// The answer to <c>POST /api/studies</c>: the plan, and the study's state (<see langword="null"/> for a dry run,
    /// which starts nothing and lists its <c>errors</c>, none).
    /// </summary>
    public static StudyPlanView Plan(StudyPlan plan, StudyState? state, bool dryRun) => new()
    {
        StudyId = plan.StudyId,
        State = state,
        PlannedRuns = plan.Runs.Count,
        Conditions = [.. plan.Conditions.Select(c => new PlannedConditionView(c.ConditionId, c.Factors.DeepClone().AsObject()))],
        Links = new StudyPlanLinks($"/api/studies/{plan.StudyId}"),
        Errors = dryRun ? [] : null,
    };

    /// <summary>A study in <c>GET /api/studies</c>.</summary>
    public static StudySummaryView Summary(StudyRecord study) => new()
    {
        StudyId = study.CorrelationId,
        Name = study.Name,
        State = study.State,
        Template = $"{study.Template.Name}@{study.Template.Version}",
        PlannedRuns = study.PlannedRuns,
        Counts = study.Counts,
        Usage = study.Usage,
        Labels = study.Labels,
        CreatedAt = study.CreatedAt,
        EndedAt = study.EndedAt,
        Links = Links(study),
    };

    /// <summary><c>GET /api/studies/{studyId}</c>: the summary, the generation and every condition's statistics.</summary>
    public static StudyDetailsView Details(StudyRecord study, IReadOnlyList<StudyRunRow> runs) => new()
    {
        StudyId = study.CorrelationId,
        Name = study.Name,
        State = study.State,
        Template = $"{study.Template.Name}@{study.Template.Version}",
        PlannedRuns = study.PlannedRuns,
        Counts = study.Counts,
        Usage = study.Usage,
        Labels = study.Labels,
        CreatedAt = study.CreatedAt,
        EndedAt = study.EndedAt,
        Generation = study.Generation,
        Parallelism = study.Parallelism,
        FailFast = study.FailFast,
        Budget = study.Budget,
        Factors = study.FactorKeys,
        Conditions = StudyStatistics.Of(runs).Conditions,
        Links = Links(study),
    };

    private static StudyLinks Links(StudyRecord study) => new(
        $"/api/studies/{study.CorrelationId}", $"/api/studies/{study.CorrelationId}/runs", $"/api/studies/{study.CorrelationId}/events/stream");
}

/// <summary>The answer to <c>POST /api/studies</c>: the study's plan.</summary>
internal sealed record StudyPlanView
{
    public required Guid StudyId { get; init; }

    /// <summary>The study's state; <see langword="null"/> for a dry run (nothing was started).</summary>
    public required StudyState? State { get; init; }

    public required int PlannedRuns { get; init; }

    /// <summary>Every condition of the plan, in plan order.</summary>
    public required IReadOnlyList<PlannedConditionView> Conditions { get; init; }

    public required StudyPlanLinks Links { get; init; }

    /// <summary>Only for a dry run: the definition's problems, none (a definition with problems is answered 400).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JsonObject>? Errors { get; init; }
}

/// <summary>A condition of a plan: its id and its assignment of every factor.</summary>
/// <param name="ConditionId"><c>c</c> + 12 hex digits.</param>
/// <param name="Factors">The factor paths as the definition spells them, and their levels.</param>
internal sealed record PlannedConditionView(string ConditionId, JsonObject Factors);

/// <summary>Where a planned study is.</summary>
internal sealed record StudyPlanLinks(string Self);

/// <summary>A study as <c>GET /api/studies</c> lists it.</summary>
internal record StudySummaryView
{
    public required Guid StudyId { get; init; }

    public required string Name { get; init; }

    public required StudyState State { get; init; }

    /// <summary>The template its runs start, <c>name@version</c>.</summary>
    public required string Template { get; init; }

    public required int PlannedRuns { get; init; }

    /// <summary>How many of its runs are in each state.</summary>
    public required StudyCounts Counts { get; init; }

    /// <summary>What its runs consumed.</summary>
    public required Usage Usage { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset? EndedAt { get; init; }

    public required StudyLinks Links { get; init; }
}

/// <summary>A study as <c>GET /api/studies/{studyId}</c> shows it: the summary, its settings and every condition's statistics.</summary>
internal sealed record StudyDetailsView : StudySummaryView
{
    /// <summary>How often it was started: 1, then + 1 for each resume.</summary>
    public required int Generation { get; init; }

    public required int Parallelism { get; init; }

    public required bool FailFast { get; init; }

    public required Budget? Budget { get; init; }

    /// <summary>The factor paths, in the definition's order.</summary>
    public required IReadOnlyList<string> Factors { get; init; }

    public required IReadOnlyList<ConditionStatistics> Conditions { get; init; }
}

/// <summary>Where a study's parts are.</summary>
internal sealed record StudyLinks(string Self, string Runs, string Stream);

/// <summary>One page of <c>GET /api/studies</c>; <see cref="NextCursor"/> is <see langword="null"/> on the last page.</summary>
internal sealed record StudyPage(IReadOnlyList<StudySummaryView> Items, string? NextCursor);

/// <summary>The answer to <c>POST /api/studies/{studyId}/cancel</c>: the study and its state.</summary>
internal sealed record StudyCommandAnswer(Guid StudyId, StudyState State);
