using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using RunMesh.Planner.Persistence;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Studies;

/// <summary>
/// Writes a new study's planned runs (one <c>study_runs</c> row each, <c>pending</c>) with PostgreSQL's binary
/// <c>COPY</c>, in the admission's transaction: a 10,000-run plan is one stream instead of 10,000 tracked entities and
/// their generated inserts, which cost the planner more CPU than the rest of the study (docs/benchmarks.md, "Studies").
/// </summary>
internal static class StudyPlanRows
{
    public static async Task CopyAsync(PlannerDbContext db, StudyPlan plan, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var factors = plan.Conditions.ToDictionary(c => c.ConditionId, c => c.Factors.ToJsonString());
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY study_runs (study_id, plan_index, run_id, condition_id, factors, replicate, seed, state, restarts, input_tokens, output_tokens, cost_usd) " +
            "FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        foreach (var run in plan.Runs)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(plan.StudyId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(run.PlanIndex, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(run.RunId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(run.ConditionId, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(factors[run.ConditionId], NpgsqlDbType.Jsonb, cancellationToken);
            await writer.WriteAsync(run.Replicate, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(run.Seed, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(StudyRunStates.Pending, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(0m, NpgsqlDbType.Numeric, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }
}
