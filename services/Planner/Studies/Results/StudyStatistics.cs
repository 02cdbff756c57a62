using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// What a study's runs add up to: how many are in each state, what they consumed, and per condition (in plan order)
/// the counts, durations, cost and tokens. Serialized with the web defaults (camelCase) it is the <c>counts</c>,
/// <c>usage</c> and <c>conditions</c> of <c>GET /api/studies/{studyId}</c>.
/// </summary>
/// <param name="Counts">How many of the study's runs are in each state.</param>
/// <param name="Usage">Tokens and cost of all the study's runs together.</param>
/// <param name="Conditions">One entry per condition, in plan order (by the lowest <see cref="StudyRunRow.PlanIndex"/> of its runs).</param>
public sealed record StudyStatistics(StudyCounts Counts, Usage Usage, IReadOnlyList<ConditionStatistics> Conditions)
{
    /// <summary>The statistics of a study's rows (every row of one study, in any order).</summary>
    public static StudyStatistics Of(IEnumerable<StudyRunRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var all = rows as IReadOnlyCollection<StudyRunRow> ?? [.. rows];
        var conditions = all
            .GroupBy(row => row.ConditionId, StringComparer.Ordinal)
            .OrderBy(condition => condition.Min(row => row.PlanIndex))
            .Select(condition => ConditionStatistics.Of([.. condition]))
            .ToList();
        return new StudyStatistics(CountStates(all), TotalUsage(all), conditions);
    }

    /// <summary>How many rows are in each state. A row in a state outside <see cref="StudyRunStates"/> is not counted.</summary>
    public static StudyCounts CountStates(IEnumerable<StudyRunRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int pending = 0, running = 0, completed = 0, failed = 0, cancelled = 0;
        foreach (var row in rows)
        {
            switch (row.State)
            {
                case StudyRunStates.Pending:
                    pending++;
                    break;
                case StudyRunStates.Running:
                    running++;
                    break;
                case StudyRunStates.Completed:
                    completed++;
                    break;
                case StudyRunStates.Failed:
                    failed++;
                    break;
                case StudyRunStates.Cancelled:
                    cancelled++;
                    break;
                default:
                    break;
            }
        }

        return new StudyCounts { Pending = pending, Running = running, Completed = completed, Failed = failed, Cancelled = cancelled };
    }

    /// <summary>The rows' tokens and cost summed.</summary>
    public static Usage TotalUsage(IEnumerable<StudyRunRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        long input = 0, output = 0;
        var cost = 0m;
        foreach (var row in rows)
        {
            input += row.InputTokens;
            output += row.OutputTokens;
            cost += row.CostUsd;
        }

        return new Usage { InputTokens = input, OutputTokens = output, CostUsd = cost };
    }
}

/// <summary>One condition of a study and what its runs add up to.</summary>
/// <param name="ConditionId"><c>c</c> + 12 hex digits of the sha256 of the condition's canonical factors.</param>
/// <param name="Factors">The condition's factor assignment, keyed by factor path as the definition spells it.</param>
/// <param name="Counts">How many of the condition's runs are in each state.</param>
/// <param name="DurationMs">Percentiles of the durations of its completed runs.</param>
/// <param name="CostUsd">Mean and total cost of its runs.</param>
/// <param name="Tokens">Tokens its runs consumed in total.</param>
public sealed record ConditionStatistics(
    string ConditionId,
    JsonObject Factors,
    StudyCounts Counts,
    DurationPercentiles DurationMs,
    CostSummary CostUsd,
    TokenTotals Tokens)
{
    /// <summary>The statistics of one condition's rows (non-empty, all of one condition).</summary>
    public static ConditionStatistics Of(IReadOnlyCollection<StudyRunRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var first = rows.MinBy(row => row.PlanIndex) ?? throw new ArgumentException("A condition has at least one run.", nameof(rows));
        var usage = StudyStatistics.TotalUsage(rows);
        var durations = rows
            .Where(row => row.State == StudyRunStates.Completed && row.DurationMs is not null)
            .Select(row => row.DurationMs!.Value)
            .ToList();
        var ended = rows.Where(row => row.State is StudyRunStates.Completed or StudyRunStates.Failed or StudyRunStates.Cancelled).ToList();
        return new ConditionStatistics(
            first.ConditionId,
            first.Factors.DeepClone().AsObject(),
            StudyStatistics.CountStates(rows),
            DurationPercentiles.Of(durations),
            new CostSummary(ended.Count == 0 ? null : CostSummary.MeanOf(ended.Sum(row => row.CostUsd), ended.Count), usage.CostUsd),
            new TokenTotals(usage.InputTokens, usage.OutputTokens));
    }
}

/// <summary>
/// The 50th and 95th percentile of a set of durations in milliseconds, by the <b>nearest-rank</b> method: the
/// <c>p</c>-th percentile of <c>n</c> values sorted ascending is the value at 1-based rank ⌈p/100 · n⌉ — always one of
/// the measured values, never an interpolation (of 1 value both are that value; of 20 values, p95 is the 19th).
/// Both are <see langword="null"/> when there are no values.
/// </summary>
/// <param name="P50">The median by nearest rank.</param>
/// <param name="P95">The 95th percentile by nearest rank.</param>
public sealed record DurationPercentiles(long? P50, long? P95)
{
    /// <summary>The percentiles of <paramref name="durationsMs"/> (in any order).</summary>
    public static DurationPercentiles Of(IEnumerable<long> durationsMs)
    {
        ArgumentNullException.ThrowIfNull(durationsMs);
        var sorted = durationsMs.Order().ToArray();
        return new DurationPercentiles(NearestRank(sorted, 50), NearestRank(sorted, 95));
    }

    /// <summary>The value at rank ⌈p/100 · n⌉ of <paramref name="sorted"/>; <see langword="null"/> when it is empty.</summary>
    public static long? NearestRank(IReadOnlyList<long> sorted, int percentile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percentile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)(((long)percentile * sorted.Count + 99) / 100);
        return sorted[rank - 1];
    }
}

/// <summary>Cost of a condition's runs in US dollars, with at most six decimal places like every cost (<see cref="Usage.CostDecimalPlaces"/>).</summary>
/// <param name="Mean">
/// The mean over its runs that ended (completed, failed or cancelled), rounded to the micro-dollar (half away from
/// zero); <see langword="null"/> when none has.
/// </param>
/// <param name="Total">The sum over all its runs (exact: each run's cost has at most six decimal places).</param>
public sealed record CostSummary(decimal? Mean, decimal Total)
{
    /// <summary>The mean of <paramref name="count"/> costs that add up to <paramref name="total"/>, to the micro-dollar.</summary>
    public static decimal MeanOf(decimal total, int count) =>
        Math.Round(total / count, Usage.CostDecimalPlaces, MidpointRounding.AwayFromZero);
}

/// <summary>Tokens a condition's runs consumed in total.</summary>
/// <param name="Input">Tokens sent to executors.</param>
/// <param name="Output">Tokens executors produced.</param>
public sealed record TokenTotals(long Input, long Output);
