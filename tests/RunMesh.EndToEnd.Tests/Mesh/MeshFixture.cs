namespace RunMesh.EndToEnd.Tests.Mesh;

/// <summary>One running mesh (all five services as processes) shared by the tests of a class.</summary>
public sealed class MeshFixture : IAsyncLifetime
{
    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public async Task InitializeAsync() => _mesh = await MeshHarness.StartAsync("mesh");

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}
