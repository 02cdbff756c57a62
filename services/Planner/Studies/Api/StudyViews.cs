using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Planner.Studies.Results;

namespace RunMesh.Planner.Studies.Api;

/// <summary>How the studies API shows a study: a list item, or the whole study with its per-condition statistics.</summary>
internal static class StudyViews
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>A study in <c>GET /api/studies</c>.</summary>
    public static JsonObject Summary(StudyRecord study) => new()
    {
        ["studyId"] = study.CorrelationId.ToString(),
        ["name"] = study.Name,
        ["state"] = StudyStates.ToJson(study.State),
        ["template"] = $"{study.Template.Name}@{study.Template.Version}",
        ["plannedRuns"] = study.PlannedRuns,
        ["counts"] = JsonSerializer.SerializeToNode(study.Counts, s_json),
        ["usage"] = JsonSerializer.SerializeToNode(study.Usage, s_json),
        ["labels"] = JsonSerializer.SerializeToNode(study.Labels, s_json),
        ["createdAt"] = study.CreatedAt,
        ["endedAt"] = study.EndedAt,
        ["links"] = Links(study),
    };

    /// <summary><c>GET /api/studies/{id}</c>: the summary, the generation and every condition's statistics.</summary>
    public static JsonObject Details(StudyRecord study, IReadOnlyList<StudyRunRow> runs)
    {
        var view = Summary(study);
        var statistics = StudyStatistics.Of(runs);
        view["generation"] = study.Generation;
        view["parallelism"] = study.Parallelism;
        view["failFast"] = study.FailFast;
        view["budget"] = study.Budget is null ? null : JsonSerializer.SerializeToNode(study.Budget, s_json);
        view["factors"] = new JsonArray([.. study.FactorKeys.Select(k => (JsonNode?)k)]);
        view["conditions"] = JsonSerializer.SerializeToNode(statistics.Conditions, s_json);
        view.Remove("links");
        view["links"] = Links(study);
        return view;
    }

    private static JsonObject Links(StudyRecord study) => new()
    {
        ["self"] = $"/api/studies/{study.CorrelationId}",
        ["runs"] = $"/api/studies/{study.CorrelationId}/runs",
        ["stream"] = $"/api/studies/{study.CorrelationId}/events/stream",
    };
}
