using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Studies;

/// <summary>
/// A study's runs as the databases hold them, read after it ended: the orchestrator's <c>runs</c> labelled with the
/// study's id, and the planner's <c>study_runs</c> of the study. None is lost when both hold the same N distinct run
/// ids, every one Completed (completed) — the planner's counts alone could not show a run the orchestrator never had.
/// </summary>
internal sealed record StudyRuns(
    long OrchestratorRuns, long OrchestratorDistinct, long OrchestratorCompleted, long PlannerRuns, long PlannerCompleted,
    long PlannedNotInOrchestrator, long OrchestratorNotPlanned)
{
    public bool NoneLost(int expected) =>
        OrchestratorRuns == expected && OrchestratorDistinct == expected && OrchestratorCompleted == expected
        && PlannerRuns == expected && PlannerCompleted == expected && PlannedNotInOrchestrator == 0 && OrchestratorNotPlanned == 0;

    public static async Task<StudyRuns> ReadAsync(MeshHarness mesh, Guid studyId)
    {
        var orchestrator = new Dictionary<Guid, string>();
        long orchestratorRows = 0;
        await using (var connection = await mesh.DatabaseOf("orchestrator").OpenAsync())
        {
            await using var command = new NpgsqlCommand("SELECT run_id, state FROM runs WHERE labels @> @labels", connection);
            command.Parameters.Add(new NpgsqlParameter("labels", NpgsqlDbType.Jsonb) { Value = Labels(studyId) });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                orchestratorRows++;
                orchestrator[reader.GetGuid(0)] = reader.GetString(1);
            }
        }

        var planned = new Dictionary<Guid, string>();
        await using (var connection = await mesh.DatabaseOf("planner").OpenAsync())
        {
            await using var command = new NpgsqlCommand("SELECT run_id, state FROM study_runs WHERE study_id = @study", connection);
            command.Parameters.AddWithValue("study", studyId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                planned[reader.GetGuid(0)] = reader.GetString(1);
            }
        }

        return new StudyRuns(
            orchestratorRows, orchestrator.Count, orchestrator.Values.LongCount(s => s == "Completed"),
            planned.Count, planned.Values.LongCount(s => s == "completed"),
            planned.Keys.LongCount(id => !orchestrator.ContainsKey(id)), orchestrator.Keys.LongCount(id => !planned.ContainsKey(id)));
    }

    /// <summary>How many runs labelled with the study's id have no report yet (the report service's share of a run ends with it).</summary>
    public static async Task<long> WithoutReportAsync(MeshHarness mesh, Guid studyId)
    {
        await using var connection = await mesh.DatabaseOf("orchestrator").OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM runs WHERE labels @> @labels AND report_url IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter("labels", NpgsqlDbType.Jsonb) { Value = Labels(studyId) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string Labels(Guid studyId) => new JsonObject { ["studyId"] = studyId.ToString() }.ToJsonString();

    public override string ToString() =>
        $"orchestrator: {OrchestratorRuns} runs labelled with the study ({OrchestratorDistinct} distinct ids, {OrchestratorCompleted} Completed); " +
        $"planner: {PlannerRuns} study_runs ({PlannerCompleted} completed); planned but not in the orchestrator {PlannedNotInOrchestrator}, " +
        $"in the orchestrator but not planned {OrchestratorNotPlanned}";
}
