namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// Mock-executor templates (YAML) that several test fixtures register under names of their own, so that each mesh's
/// database holds its own copy and the shapes stay the same everywhere.
/// </summary>
public static class TestTemplates
{
    /// <summary>
    /// One phase whose instructions reference the input <c>feature</c> 200 times: a 5,000-character feature renders to
    /// about 1 MB, over the orchestrator's default limit on rendered instructions.
    /// </summary>
    public static string WideInstructions(string name) => $$"""
        name: {{name}}
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, maxLength: 5000 } } }
        phases:
          - key: spec
            executor: mock
            instructions: "{{string.Concat(Enumerable.Repeat("{{inputs.feature}} ", 200))}}"
            artifact:
              schema: { type: object }
        """;

    /// <summary>One phase that waits a minute (mock <c>latencyMs: 60000</c>): a run that stays in flight until cancelled or timed out.</summary>
    public static string Slow(string name, int? runTimeoutSeconds = null) => $$$"""
        name: {{{name}}}
        version: 1
        {{{(runTimeoutSeconds is { } timeout ? $"timeoutSeconds: {timeout}" : "")}}}
        phases:
          - key: wait
            executor: mock
            settings: { latencyMs: 60000 }
            timeoutSeconds: 120
            instructions: "Take your time with {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """;

    /// <summary>A phase that succeeds, then one that fails its only attempt (mock <c>failAttempts: 1</c>, <c>maxAttempts: 1</c>): a run that fails.</summary>
    public static string FailingSecondPhase(string name) => $$$"""
        name: {{{name}}}
        version: 1
        phases:
          - key: first
            executor: mock
            instructions: "First for {{inputs.feature}}"
            artifact: { schema: { type: object } }
          - key: flaky
            executor: mock
            settings: { failAttempts: 1 }
            retry: { maxAttempts: 1 }
            instructions: "Flaky for {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """;

    /// <summary>One phase, <c>spec</c>, whose accepted artifact stops the run at gate <paramref name="gate"/> until an approver decides.</summary>
    public static string Gated(string name, string gate = "sign-off") => $$$"""
        name: {{{name}}}
        version: 1
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title], properties: { title: { type: string } } }
            gates: [{{{gate}}}]
        """;
}
