using System.ComponentModel.DataAnnotations;

namespace RunMesh.Orchestrator.Runs;

/// <summary>Orchestrator settings (configuration section <c>Orchestrator</c>).</summary>
public sealed class OrchestratorOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Orchestrator";

    /// <summary>
    /// How long a dispatched attempt may wait for a worker before its start-to-close timeout starts counting; the
    /// attempt's deadline is dispatch time + this + the phase's timeout (catches lost workers and backlogs).
    /// </summary>
    [Range(1, 86_400)]
    public int ScheduleToStartSeconds { get; set; } = 300;

    /// <summary>Pause between two passes of the deadline scan when nothing was due.</summary>
    [Range(10, 60_000)]
    public int DeadlineScanIntervalMilliseconds { get; set; } = 250;

    /// <summary>Deadlines fired per transaction of the deadline scan.</summary>
    [Range(1, 10_000)]
    public int DeadlineScanBatchSize { get; set; } = 100;

    /// <summary>How many characters of an artifact an approval request carries as its preview.</summary>
    [Range(0, 65_536)]
    public int ApprovalPreviewCharacters { get; set; } = 2_000;
}
