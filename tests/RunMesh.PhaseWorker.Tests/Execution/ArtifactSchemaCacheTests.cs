using System.Text.Json.Nodes;
using RunMesh.PhaseWorker.Execution;

namespace RunMesh.PhaseWorker.Tests.Execution;

public sealed class ArtifactSchemaCacheTests
{
    [Fact]
    public async Task The_same_schema_in_any_key_order_is_loaded_once()
    {
        using var cache = new ArtifactSchemaCache();
        var first = await cache.LoadAsync(JsonNode.Parse("""{"type":"object","required":["a"]}""")!.AsObject(), default);
        var again = await cache.LoadAsync(JsonNode.Parse("""{"required":["a"],"type":"object"}""")!.AsObject(), default);

        first.Schema.ShouldNotBeNull();
        again.ShouldBeSameAs(first);
    }

    [Fact]
    public async Task Different_schemas_are_different_entries_and_each_validates_by_its_own_rules()
    {
        using var cache = new ArtifactSchemaCache();
        var needsA = await cache.LoadAsync(JsonNode.Parse("""{"type":"object","required":["a"]}""")!.AsObject(), default);
        var needsB = await cache.LoadAsync(JsonNode.Parse("""{"type":"object","required":["b"]}""")!.AsObject(), default);

        needsB.ShouldNotBeSameAs(needsA);
        needsA.Schema!.Validate(JsonNode.Parse("""{"a":1}""")).ShouldBeEmpty();
        needsB.Schema!.Validate(JsonNode.Parse("""{"a":1}""")).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_schema_that_cannot_be_used_keeps_its_problems()
    {
        using var cache = new ArtifactSchemaCache();
        var remote = JsonNode.Parse("""{"$ref":"https://example.org/schema.json"}""")!.AsObject();

        var first = await cache.LoadAsync(remote, default);
        var again = await cache.LoadAsync(remote, default);

        first.Schema.ShouldBeNull();
        first.Problems.ShouldNotBeEmpty();
        again.ShouldBeSameAs(first);
    }
}
