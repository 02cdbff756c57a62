namespace RunMesh.Contracts;

/// <summary>
/// Options of a run. Every field is optional; the run's <c>InputBundleHash</c> is computed after these defaults
/// are applied, and without <see cref="Force"/>.
/// </summary>
public sealed record RunOptions
{
    /// <summary>
    /// <see langword="true"/> to always start a new run, even when an identical run is completed or in flight.
    /// Default <see langword="false"/> (identical runs are deduplicated).
    /// </summary>
    public bool Force { get; init; }

    /// <summary>How deep a chain of child runs (runs started with a parent) may grow below this run. Default 3.</summary>
    public int MaxDepth { get; init; } = 3;

    /// <summary>A budget that lowers the template's budget. Default <see langword="null"/>: the template's budget applies.</summary>
    public Budget? Budget { get; init; }

    /// <summary>
    /// The whole run's timeout in seconds; when it passes the run fails with <see cref="ErrorCodes.RunTimeout"/>.
    /// Default <see langword="null"/>: the template's <c>timeoutSeconds</c> applies.
    /// </summary>
    public int? TimeoutSeconds { get; init; }

    /// <summary>Free key/value labels to find and group runs by (e.g. <c>team=docs</c>). Default empty.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
