using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Planner.Studies;
using RunMesh.Planner.Studies.Results;
using static RunMesh.Planner.Tests.Results.StudyRows;

namespace RunMesh.Planner.Tests.Results;

public sealed class StudyStatisticsTests
{
    private static readonly JsonSerializerOptions s_api = new(JsonSerializerDefaults.Web);

    [Theory]
    [InlineData(new long[] { 42 }, 42L, 42L)]
    [InlineData(new long[] { 1, 2 }, 1L, 2L)]
    [InlineData(new long[] { 3, 1, 2 }, 2L, 3L)]
    [InlineData(new long[] { 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, 10L, 19L)]
    [InlineData(new long[] { 15, 20, 35, 40, 50 }, 35L, 50L)]
    public void Percentiles_are_nearest_rank_values_of_the_data(long[] durations, long p50, long p95)
    {
        var percentiles = DurationPercentiles.Of(durations);

        percentiles.ShouldBe(new DurationPercentiles(p50, p95));
    }

    [Fact]
    public void Percentiles_of_no_durations_are_null()
    {
        DurationPercentiles.Of([]).ShouldBe(new DurationPercentiles(null, null));
    }

    [Fact]
    public void Durations_count_only_for_completed_runs_and_cost_mean_over_ended_runs()
    {
        StudyRunRow[] rows =
        [
            Row("c1", 0, "completed", durationMs: 300, costUsd: 0.30m, inputTokens: 100, outputTokens: 10),
            Row("c1", 1, "completed", durationMs: 100, costUsd: 0.10m, inputTokens: 100, outputTokens: 10),
            Row("c1", 2, "completed", durationMs: 200, costUsd: 0.20m, inputTokens: 100, outputTokens: 10),
            Row("c1", 3, "failed", durationMs: 5, costUsd: 0.04m, inputTokens: 40, outputTokens: 0, errorCode: "phase_failed"),
            Row("c1", 4, "cancelled", durationMs: 7_000, costUsd: 0m),
            Row("c1", 5, "running"),
            Row("c1", 6, "pending"),
        ];

        var condition = StudyStatistics.Of(rows).Conditions.ShouldHaveSingleItem();

        condition.Counts.ShouldBe(new StudyCounts { Pending = 1, Running = 1, Completed = 3, Failed = 1, Cancelled = 1 });
        condition.DurationMs.ShouldBe(new DurationPercentiles(200, 300));
        condition.CostUsd.ShouldBe(new CostSummary(0.64m / 5, 0.64m));
        condition.Tokens.ShouldBe(new TokenTotals(340, 30));
    }

    [Fact]
    public void The_mean_cost_is_rounded_to_the_micro_dollar_and_written_as_a_json_number()
    {
        StudyRunRow[] rows =
        [
            Row("c1", 0, "completed", durationMs: 10, costUsd: 0.000001m),
            Row("c1", 1, "completed", durationMs: 10, costUsd: 0.000001m),
            Row("c1", 2, "failed", durationMs: 10, costUsd: 0m, errorCode: "executor_error"),
        ];

        var condition = StudyStatistics.Of(rows).Conditions.ShouldHaveSingleItem();
        var json = JsonSerializer.SerializeToNode(condition, s_api)!;

        condition.CostUsd.ShouldBe(new CostSummary(0.000001m, 0.000002m));
        json["costUsd"]!["mean"]!.GetValueKind().ShouldBe(JsonValueKind.Number);
        json["costUsd"]!["mean"]!.ToJsonString().ShouldBe("0.000001");
        json["costUsd"]!["total"]!.ToJsonString().ShouldBe("0.000002");
    }

    [Fact]
    public void A_condition_none_of_whose_runs_ended_has_null_durations_and_mean_cost()
    {
        var condition = StudyStatistics.Of([Row("c1", 0, "pending"), Row("c1", 1, "running")]).Conditions.ShouldHaveSingleItem();

        condition.DurationMs.ShouldBe(new DurationPercentiles(null, null));
        condition.CostUsd.ShouldBe(new CostSummary(null, 0m));
        condition.Tokens.ShouldBe(new TokenTotals(0, 0));
    }

    [Fact]
    public void Conditions_come_in_plan_order_by_their_lowest_plan_index()
    {
        StudyRunRow[] rows =
        [
            Row("cbbbbbbbbbbbb", 5, "completed"),
            Row("caaaaaaaaaaaa", 3, "completed"),
            Row("cffffffffffff", 0, "pending"),
            Row("caaaaaaaaaaaa", 2, "completed"),
            Row("cbbbbbbbbbbbb", 4, "completed"),
            Row("cffffffffffff", 1, "pending"),
        ];

        var conditions = StudyStatistics.Of(rows).Conditions;

        conditions.Select(condition => condition.ConditionId).ShouldBe(["cffffffffffff", "caaaaaaaaaaaa", "cbbbbbbbbbbbb"]);
    }

    [Fact]
    public void Study_wide_counts_and_usage_add_up_every_run()
    {
        StudyRunRow[] rows =
        [
            Row("c1", 0, "completed", costUsd: 0.5m, inputTokens: 1_000, outputTokens: 200),
            Row("c1", 1, "failed", costUsd: 0.25m, inputTokens: 500, outputTokens: 0),
            Row("c2", 2, "completed", costUsd: 0.125m, inputTokens: 10, outputTokens: 20),
            Row("c2", 3, "pending"),
        ];

        var statistics = StudyStatistics.Of(rows);

        statistics.Counts.ShouldBe(new StudyCounts { Pending = 1, Completed = 2, Failed = 1 });
        statistics.Usage.ShouldBe(new Usage { InputTokens = 1_510, OutputTokens = 220, CostUsd = 0.875m });
        statistics.Conditions.Count.ShouldBe(2);
    }

    [Fact]
    public void A_study_without_runs_has_zero_counts_and_no_conditions()
    {
        var statistics = StudyStatistics.Of([]);

        statistics.Counts.ShouldBe(new StudyCounts());
        statistics.Usage.ShouldBe(new Usage());
        statistics.Conditions.ShouldBeEmpty();
    }

    [Fact]
    public void Serializes_to_the_conditions_json_of_the_study_api()
    {
        var factors = new JsonObject { ["inputs.tone"] = "casual", ["model.temperature"] = 0.7 };
        StudyRunRow[] rows =
        [
            Row("c0123456789ab", 0, "completed", durationMs: 1_200, costUsd: 0.002m, inputTokens: 80, outputTokens: 40, factors: factors),
            Row("c0123456789ab", 1, "failed", costUsd: 0.001m, inputTokens: 80, outputTokens: 0, factors: factors, replicate: 2),
            Row("cba9876543210", 2, "pending", factors: new JsonObject { ["inputs.tone"] = "formal", ["model.temperature"] = 0 }),
        ];

        var json = JsonSerializer.SerializeToNode(StudyStatistics.Of(rows), s_api);

        var expected = JsonNode.Parse("""
            {
              "counts": { "pending": 1, "running": 0, "completed": 1, "failed": 1, "cancelled": 0 },
              "usage": { "inputTokens": 160, "outputTokens": 40, "costUsd": 0.003 },
              "conditions": [
                {
                  "conditionId": "c0123456789ab",
                  "factors": { "inputs.tone": "casual", "model.temperature": 0.7 },
                  "counts": { "pending": 0, "running": 0, "completed": 1, "failed": 1, "cancelled": 0 },
                  "durationMs": { "p50": 1200, "p95": 1200 },
                  "costUsd": { "mean": 0.0015, "total": 0.003 },
                  "tokens": { "input": 160, "output": 40 }
                },
                {
                  "conditionId": "cba9876543210",
                  "factors": { "inputs.tone": "formal", "model.temperature": 0 },
                  "counts": { "pending": 1, "running": 0, "completed": 0, "failed": 0, "cancelled": 0 },
                  "durationMs": { "p50": null, "p95": null },
                  "costUsd": { "mean": null, "total": 0 },
                  "tokens": { "input": 0, "output": 0 }
                }
              ]
            }
            """);
        JsonNode.DeepEquals(json, expected).ShouldBeTrue(json!.ToJsonString());
    }
}
