namespace RunMesh.Orchestrator.Templates;

/// <summary>The executors a phase may name; the phase workers implement exactly these.</summary>
public static class PhaseExecutors
{
    /// <summary>A deterministic executor for tests, demos and benchmarks.</summary>
    public const string Mock = "mock";

    /// <summary>An OpenAI-compatible chat-completions endpoint.</summary>
    public const string OpenAi = "openai";

    /// <summary>A webhook that POSTs the phase and answers the artifact.</summary>
    public const string Http = "http";

    /// <summary>Every known executor name.</summary>
    public static IReadOnlyList<string> All { get; } = [Mock, OpenAi, Http];
}
