using System.Text.Json.Nodes;
using RunMesh.Schemas;

namespace RunMesh.Shared.Tests.Schemas;

public sealed class JsonSchemasTests
{
    private const string StepsSchema = """
        {
          "type": "object",
          "required": ["title", "steps"],
          "properties": {
            "title": { "type": "string", "maxLength": 20 },
            "steps": { "type": "array", "items": { "$ref": "#/definitions/step" } }
          },
          "definitions": { "step": { "type": "string" } }
        }
        """;

    [Theory]
    [InlineData("""{"title":"ok","steps":["a","b"]}""")]
    [InlineData("""{"title":"ok","steps":[]}""")]
    public async Task Valid_instance_has_no_errors(string instance)
    {
        var schema = await LoadAsync(StepsSchema);

        schema.Validate(JsonNode.Parse(instance)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("""{"steps":[]}""", "title")]
    [InlineData("""{"title":"ok","steps":[1]}""", "steps")]
    [InlineData("""{"title":"this title is far too long","steps":[]}""", "title")]
    [InlineData("""[]""", "$: must be an object, got an array")]
    public async Task Invalid_instance_lists_what_is_wrong(string instance, string mentioned)
    {
        var schema = await LoadAsync(StepsSchema);

        var errors = schema.Validate(JsonNode.Parse(instance));

        errors.ShouldNotBeEmpty();
        errors.ShouldContain(e => e.Contains(mentioned, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("""{"$ref":"https://example.com/schema.json"}""")]
    [InlineData("""{"$ref":"file:///etc/passwd"}""")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"other.json#/x"}}}""")]
    [InlineData("""{"$id":"https://example.com/root","type":"object"}""")]
    [InlineData("""{"allOf":[{"$ref":42}]}""")]
    public async Task Remote_and_file_references_are_refused_before_loading(string schema)
    {
        var result = await JsonSchemas.LoadAsync(JsonNode.Parse(schema));

        result.IsValid.ShouldBeFalse();
        result.Problems.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_property_named_like_a_keyword_is_not_a_reference()
    {
        var schema = await LoadAsync("""
            {"type":"object","properties":{"$ref":{"type":"string"},"$id":{"type":"string"}},"required":["$ref"]}
            """);

        schema.Validate(JsonNode.Parse("""{"$ref":"https://example.com"}""")).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_remote_reference_inside_a_property_schema_is_still_refused()
    {
        var result = await JsonSchemas.LoadAsync(JsonNode.Parse("""{"properties":{"$ref":{"$ref":"https://example.com/x.json"}}}"""));

        result.IsValid.ShouldBeFalse();
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"a string\"")]
    public async Task A_schema_must_be_an_object(string schema)
    {
        var result = await JsonSchemas.LoadAsync(JsonNode.Parse(schema));

        result.IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task Deeply_nested_schema_is_refused()
    {
        var json = string.Concat(Enumerable.Repeat("""{"not":""", 80)) + "{}" + new string('}', 80);

        var result = await JsonSchemas.LoadAsync(JsonNode.Parse(json, documentOptions: new() { MaxDepth = 200 }));

        result.IsValid.ShouldBeFalse();
        result.Problems.ShouldContain(p => p.Contains("deeper", StringComparison.Ordinal));
    }

    private static async Task<CompiledSchema> LoadAsync(string schema)
    {
        var result = await JsonSchemas.LoadAsync(JsonNode.Parse(schema));
        result.Problems.ShouldBeEmpty();
        return result.Schema!;
    }
}
