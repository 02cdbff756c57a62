namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>A running mesh with the templates the run tests start.</summary>
public sealed class RunsFixture : IAsyncLifetime
{
    public const string Demo = "admission-demo@1";
    public const string Slow = "admission-slow@1";
    public const string Flaky = "admission-flaky@1";
    public const string Wide = "admission-wide@1";

    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("runs");
        await Mesh.RegisterTemplatesAsync(DemoTemplate, s_slowTemplate, s_flakyTemplate, s_wideTemplate);
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }

    /// <summary>The run's state as the orchestrator stored it (the state machine's name, e.g. <c>Completed</c>).</summary>
    public Task<string?> StateOfAsync(Guid runId) => Mesh.ScalarAsync<string?>("orchestrator", "SELECT state FROM runs WHERE run_id = @id", ("id", runId));

    public Task WaitForStateAsync(Guid runId, string state, int seconds = 60) =>
        Eventually.UntilAsync(async () => await StateOfAsync(runId) == state, TimeSpan.FromSeconds(seconds),
            $"run {runId} to be {state}", () => Mesh.LogTails());

    public Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters) => Mesh.ScalarAsync<long>("orchestrator", sql, parameters);

    private const string DemoTemplate = """
        name: admission-demo
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, maxLength: 200 } } }
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact:
              schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, minItems: 1, items: { type: string } } } }
          - key: review
            executor: mock
            settings: { invalidAttempts: 1 }
            instructions: "Review {{phases.spec.output}}"
            artifact:
              schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } }
        """;

    private static readonly string s_slowTemplate = TestTemplates.Slow("admission-slow");

    private static readonly string s_flakyTemplate = TestTemplates.FailingSecondPhase("admission-flaky");

    private static readonly string s_wideTemplate = TestTemplates.WideInstructions("admission-wide");
}
