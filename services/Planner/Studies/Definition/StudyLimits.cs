using System.ComponentModel.DataAnnotations;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>
/// How large a study may be. <see cref="MaxRunsPerStudy"/> is the planner's setting (bind it from configuration and
/// validate it on start); the constants are fixed limits of the definition document.
/// </summary>
public sealed class StudyLimits
{
    /// <summary>The largest definition text accepted, in UTF-8 bytes (256 KiB).</summary>
    public const int MaxDefinitionBytes = 256 * 1024;

    /// <summary>The deepest nesting of objects and arrays in a definition.</summary>
    public const int MaxDepth = 64;

    /// <summary>The most factors a study may have (a condition assigns every one of them).</summary>
    public const int MaxFactors = 32;

    /// <summary>The most runs of one study in flight at once (<c>parallelism</c>).</summary>
    public const int MaxParallelism = 256;

    /// <summary><c>parallelism</c> when the definition does not set it.</summary>
    public const int DefaultParallelism = 4;

    /// <summary>
    /// The most conditions named one by one for failing the template's <c>inputs.schema</c>; the rest are counted in
    /// one further problem, so that a grid where every condition fails does not answer with thousands of lines.
    /// </summary>
    public const int MaxConditionsReported = 20;

    /// <summary>The default of <see cref="MaxRunsPerStudy"/>.</summary>
    public const int DefaultMaxRunsPerStudy = 10_000;

    /// <summary>
    /// The most runs one study may plan, whatever its <c>maxRuns</c> says: a plan is written to the database as one row
    /// per run before the first one starts.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxRunsPerStudy { get; set; } = DefaultMaxRunsPerStudy;
}
