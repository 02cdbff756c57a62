namespace RunMesh.Cli.Tests.Mesh;

/// <summary>The CLI's end-to-end test classes share one mesh (starting one costs tens of seconds) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SharedCliMesh : ICollectionFixture<CliFixture>
{
    public const string Name = "runmesh against one mesh";
}

/// <summary>One running mesh for the CLI's end-to-end tests, with the templates they start.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public const string Quick = "cli-quick@1";
    public const string Steps = "cli-steps@1";
    public const string Failing = "cli-failing@1";

    /// <summary>Two phases; the first has the gate <c>sign-off</c>.</summary>
    public const string Gated = "cli-gated@1";

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
            """
            name: cli-gated
            version: 1
            phases:
              - key: draft
                executor: mock
                settings: { latencyMs: 500 }
                instructions: "Draft {{inputs.feature}}"
                artifact: { schema: { type: object } }
                gates: [sign-off]
              - key: publish
                executor: mock
                settings: { latencyMs: 500 }
                instructions: "Publish {{inputs.feature}}"
                artifact: { schema: { type: object } }
            """,
            TestTemplates.FailingSecondPhase("cli-failing"));
    }

    /// <summary>
    /// A new working directory with a <c>.runmesh/env</c> as <c>deploy/local/mesh.sh</c> writes it (this mesh's URL and
    /// one key per role), and a subdirectory of it to run from.
    /// </summary>
    public async Task<string> EnvDirectoryAsync()
    {
        var directory = Directory.CreateTempSubdirectory("runmesh-cli-env-");
        Directory.CreateDirectory(Path.Combine(directory.FullName, ".runmesh"));
        string[] lines =
        [
            $"RUNMESH_URL={Url.TrimEnd('/')}",
            .. MeshHarness.Roles.Select(role => $"RUNMESH_{role.ToUpperInvariant()}_KEY={Mesh.ApiKey(role)}"),
        ];
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, ".runmesh", "env"), string.Join('\n', lines));
        return Directory.CreateDirectory(Path.Combine(directory.FullName, "work")).FullName;
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
