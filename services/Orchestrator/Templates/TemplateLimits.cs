namespace RunMesh.Orchestrator.Templates;

/// <summary>The size limits and ranges a workflow template must respect (docs/templates.md lists them all).</summary>
public static class TemplateLimits
{
    /// <summary>The largest template text accepted, in UTF-8 bytes (256 KiB).</summary>
    public const int MaxTemplateBytes = 256 * 1024;

    /// <summary>The most phases a template may have.</summary>
    public const int MaxPhases = 50;

    /// <summary>The longest instructions of one phase, in UTF-8 bytes (32 KiB).</summary>
    public const int MaxInstructionsBytes = 32 * 1024;

    /// <summary>The deepest nesting of objects and arrays in a template document.</summary>
    public const int MaxDepth = 128;

    /// <summary>The most repair attempts a phase may allow.</summary>
    public const int MaxRepairAttempts = 5;

    /// <summary>The most attempts a phase's retry policy may allow.</summary>
    public const int MaxRetryAttempts = 10;

    /// <summary>The longest backoff before a retry, in seconds (one hour).</summary>
    public const int MaxBackoffSeconds = 3600;

    /// <summary>The largest backoff multiplier.</summary>
    public const int MaxBackoffMultiplier = 10;

    /// <summary>The longest phase timeout, in seconds (one day).</summary>
    public const int MaxPhaseTimeoutSeconds = 86_400;

    /// <summary>The longest run timeout, in seconds (seven days).</summary>
    public const int MaxRunTimeoutSeconds = 604_800;

    /// <summary>The largest <c>settings.maxParallel</c> of a <c>run</c> phase: child runs of one attempt in flight at once.</summary>
    public const int MaxParallelChildRuns = 256;
}
