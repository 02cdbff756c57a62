using System.Text.Json.Nodes;

namespace RunMesh.Planner.Studies;

/// <summary>
/// One entry of a study's progress log (table <c>study_events</c>): <c>study.run_started</c>,
/// <c>study.run_finished</c> (with the counts) and <c>study.finished</c>. <c>seq</c> is gap-free per study (the
/// study row is locked while events are appended); the progress stream replays them by <c>Last-Event-ID</c>.
/// </summary>
public sealed class StudyEventRow
{
    public Guid StudyId { get; set; }

    public long Seq { get; set; }

    public string Type { get; set; } = "";

    public JsonObject Payload { get; set; } = new();

    public DateTimeOffset At { get; set; }
}

/// <summary>The types of a study's progress events.</summary>
public static class StudyEventTypes
{
    public const string RunStarted = "study.run_started";
    public const string RunFinished = "study.run_finished";
    public const string Finished = "study.finished";
}
