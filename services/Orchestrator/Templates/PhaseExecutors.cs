namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// The executors a phase may name: those the phase workers implement (<see cref="ExecutedByWorkers"/>) and
/// <see cref="Run"/>, which the orchestrator executes itself by starting child runs.
/// </summary>
public static class PhaseExecutors
{
    /// <summary>A deterministic executor for tests, demos and benchmarks.</summary>
    public const string Mock = "mock";

    /// <summary>An OpenAI-compatible chat-completions endpoint.</summary>
    public const string OpenAi = "openai";

    /// <summary>A webhook that POSTs the phase and answers the artifact.</summary>
    public const string Http = "http";

    /// <summary>
    /// Starts child runs of another template (see <see cref="ChildRunSettings"/>); executed by the orchestrator, not by a
    /// phase worker, because a child run can take days.
    /// </summary>
    public const string Run = "run";

    /// <summary>The executors the phase workers implement: a phase naming one of these is sent as <c>ExecutePhase</c>.</summary>
    public static IReadOnlyList<string> ExecutedByWorkers { get; } = [Mock, OpenAi, Http];

    /// <summary>Every executor a template may name: the workers' and <see cref="Run"/>.</summary>
    public static IReadOnlyList<string> Known { get; } = [.. ExecutedByWorkers, Run];
}
