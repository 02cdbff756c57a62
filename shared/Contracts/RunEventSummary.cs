using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// One entry of a run's event log (in <see cref="RunFinished.LastEvents"/>).
/// </summary>
public sealed record RunEventSummary
{
    /// <summary>The event's position in the run's log: gap-free, starting at 1.</summary>
    public required long Seq { get; init; }

    /// <summary>The event type, one of <see cref="RunEventTypes"/> (e.g. <c>phase.dispatched</c>).</summary>
    public required string Type { get; init; }

    /// <summary>When the event was recorded.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The event's details, as stored in the log. <see langword="null"/> (the default) when the event has none.</summary>
    public JsonNode? Payload { get; init; }
}
