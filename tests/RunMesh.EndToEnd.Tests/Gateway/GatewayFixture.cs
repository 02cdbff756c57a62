using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>One mesh (all five services as processes, keys per mesh) shared by the gateway's test classes.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public async Task InitializeAsync() => _mesh = await MeshHarness.StartAsync("gateway");

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayMesh : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>What the tests read from a response: the status, and the problem <c>code</c> when the body is problem+json.</summary>
internal static class Responses
{
    /// <summary>The problem+json <c>code</c> of <paramref name="response"/>, or null when it is not a problem with a code.</summary>
    public static async Task<string?> ProblemCodeAsync(HttpResponseMessage response)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return null;
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    /// <summary>Asserts a problem+json with <paramref name="status"/> and <paramref name="code"/> and every RFC 9457 member.</summary>
    public static async Task ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        var problem = (await response.Content.ReadFromJsonAsync<JsonElement>())!;
        problem.GetProperty("code").GetString().ShouldBe(code, text);
        problem.GetProperty("status").GetInt32().ShouldBe((int)status, text);
        problem.GetProperty("type").GetString().ShouldNotBeNullOrEmpty(text);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrEmpty(text);
        problem.GetProperty("detail").GetString().ShouldNotBeNullOrEmpty(text);
    }
}
