using System.Text.Json.Nodes;

namespace RunMesh.Planner.Studies;

/// <summary>
/// One planned run of a study (table <c>study_runs</c>): written when the study is planned, then updated as the run is
/// started and as its <c>RunFinished</c> arrives. The rows of a study are its results table.
/// </summary>
public sealed class StudyRunRow
{
    public Guid StudyId { get; set; }

    /// <summary>The run's id: UUIDv5 of <c>{studyId}:{conditionId}:{replicate}</c> (or, once restarted on a resume, of that plus <c>:r{restart}</c>).</summary>
    public Guid RunId { get; set; }

    /// <summary>Position in the plan (conditions in plan order, replicates within each): the order runs are started in.</summary>
    public int PlanIndex { get; set; }

    /// <summary><c>c</c> + 12 hex digits of the sha256 of the condition's canonical factors.</summary>
    public string ConditionId { get; set; } = "";

    /// <summary>The condition's factor assignment, keyed by factor path as the definition spells it.</summary>
    public JsonObject Factors { get; set; } = new();

    /// <summary>1-based.</summary>
    public int Replicate { get; set; }

    /// <summary>The run's <c>model.seed</c>: 53 bits of sha256(<c>{seed}:{conditionId}:{replicate}</c>).</summary>
    public long Seed { get; set; }

    /// <summary><c>pending</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>cancelled</c> (see <see cref="StudyRunStates"/>).</summary>
    public string State { get; set; } = StudyRunStates.Pending;

    /// <summary>Why the run did not complete.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>How often the run was restarted under a new id by a resume (0 at first).</summary>
    public int Restarts { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>From the run's own start to its end, as <c>RunFinished</c> reports them.</summary>
    public long? DurationMs { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }

    public decimal CostUsd { get; set; }

    /// <summary>The accepted artifact digest of the run's last phase, when it completed.</summary>
    public string? FinalArtifactDigest { get; set; }
}

/// <summary>The states of a study's run, as the results table spells them.</summary>
public static class StudyRunStates
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}
