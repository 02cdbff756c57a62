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

    /// <summary>
    /// The most UTF-8 bytes a phase's rendered instructions may have (default 256 KiB). Rendering multiplies: an input
    /// or an earlier artifact referenced many times would otherwise make every <c>ExecutePhase</c> huge. Admission
    /// refuses a start whose input-only instructions render larger (422 <c>instructions_too_large</c>); a phase whose
    /// instructions grow past it through an earlier artifact fails the run with that code instead of being sent.
    /// </summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public int MaxRenderedInstructionsBytes { get; set; } = 256 * 1024;
}
