namespace RunMesh.Cli.Tests.Mesh;

/// <summary>One running mesh for the CLI's end-to-end tests, with the templates they start.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public const string Quick = "cli-quick@1";
    public const string Steps = "cli-steps@1";
    public const string Failing = "cli-failing@1";

    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    /// <summary>The gateway's URL.</summary>
    public string Url => Mesh.Gateway.BaseAddress.ToString();

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("cli");
        await Mesh.RegisterTemplatesAsync(
            """
            name: cli-quick
            version: 1
            phases:
              - key: spec
                executor: mock
                instructions: "Write a spec for {{inputs.feature}}"
                artifact: { schema: { type: object } }
              - key: review
                executor: mock
                instructions: "Review the spec for {{inputs.feature}}"
                artifact: { schema: { type: object } }
            """,
            """
            name: cli-steps
            version: 1
            phases:
              - key: one
                executor: mock
                settings: { latencyMs: 1500 }
                instructions: "One for {{inputs.feature}}"
                artifact: { schema: { type: object } }
              - key: two
                executor: mock
                settings: { latencyMs: 1500 }
                instructions: "Two for {{inputs.feature}}"
                artifact: { schema: { type: object } }
              - key: three
                executor: mock
                settings: { latencyMs: 1500 }
                instructions: "Three for {{inputs.feature}}"
                artifact: { schema: { type: object } }
            """,
            TestTemplates.FailingSecondPhase("cli-failing"));
    }

    /// <summary>The arguments that point the CLI at this mesh with <paramref name="role"/>'s key.</summary>
    public string[] As(string role) => ["--url", Url, "--key", Mesh.ApiKey(role)];

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}
