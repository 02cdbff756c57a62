using System.ComponentModel.DataAnnotations;

namespace RunMesh.Planner.Studies;

/// <summary>The planner's settings (section <c>Planner</c>), validated at start.</summary>
public sealed class PlannerOptions
{
    public const string SectionName = "Planner";

    /// <summary>The most runs one study may plan, whatever its <c>maxRuns</c> says (default 10,000).</summary>
    [Range(1, 1_000_000)]
    public int MaxRunsPerStudy { get; set; } = 10_000;
}
