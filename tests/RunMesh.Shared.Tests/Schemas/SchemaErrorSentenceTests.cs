using System.Text.Json.Nodes;
using RunMesh.Schemas;

namespace RunMesh.Shared.Tests.Schemas;

/// <summary>What a validated instance is told is wrong: a sentence at a JSON path, never the validator's error kind.</summary>
public sealed class SchemaErrorSentenceTests
{
    public static TheoryData<string, string, string[]> Cases => new()
    {
        // schema, instance, every "path: sentence"
        { """{"type":"object","required":["title"]}""", "{}", ["$.title: required property missing"] },
        { """{"type":"string"}""", "1", ["$: must be a string, got a number"] },
        { """{"type":"integer"}""", "1.5", ["$: must be an integer, got a number"] },
        { """{"type":"boolean"}""", "\"yes\"", ["$: must be true or false, got a string"] },
        { """{"type":"array"}""", "{}", ["$: must be an array, got an object"] },
        { """{"type":"object"}""", "[]", ["$: must be an object, got an array"] },
        { """{"type":["string","null"]}""", "3", ["$: must be a string or null, got a number"] },
        { """{"type":["string","null"],"maxLength":1}""", "\"ab\"", ["$: must be at most 1 character long (it has 2)"] },
        { """{"enum":["formal","casual"]}""", "\"casul\"", ["$: must be one of: formal, casual (did you mean 'casual'?)"] },
        { """{"enum":[1,2,null]}""", "3", ["$: must be one of: 1, 2, null"] },
        { """{"type":"string","minLength":3}""", "\"ab\"", ["$: must be at least 3 characters long"] },
        { """{"type":"string","pattern":"^[a-z]+$"}""", "\"A1\"", ["$: must match the pattern ^[a-z]+$"] },
        { """{"type":"number","minimum":1}""", "0", ["$: must be at least 1"] },
        { """{"type":"number","exclusiveMinimum":0}""", "0", ["$: must be greater than 0"] },
        { """{"type":"number","maximum":10}""", "11", ["$: must be at most 10"] },
        { """{"type":"number","exclusiveMaximum":10}""", "10", ["$: must be less than 10"] },
        { """{"type":"number","multipleOf":5}""", "7", ["$: must be a multiple of 5"] },
        { """{"type":"array","minItems":2}""", "[1]", ["$: must have at least 2 items (it has 1)"] },
        { """{"type":"array","maxItems":1}""", "[1,2]", ["$: must have at most 1 item (it has 2)"] },
        { """{"type":"array","uniqueItems":true}""", "[1,1]", ["$: must not hold the same item twice"] },
        { """{"type":"array","items":{"type":"string"}}""", "[\"a\",2]", ["$[1]: must be a string, got a number"] },
        { """{"type":"object","properties":{"steps":{"type":"array","items":{"type":"object","required":["name"]}}}}""", """{"steps":[{}]}""",
            ["$.steps[0].name: required property missing"] },
        { """{"type":"object","properties":{"topic":{}},"additionalProperties":false}""", """{"topik":1}""",
            ["$.topik: unknown property (did you mean 'topic'?)"] },
        { """{"type":"object","properties":{"a":{},"b":{}},"additionalProperties":false}""", """{"zzz":1}""", ["$.zzz: unknown property (allowed: a, b)"] },
        { """{"type":"object","additionalProperties":{"type":"integer"}}""", """{"n":"x"}""", ["$.n: must be an integer, got a string"] },
        { """{"type":"object","minProperties":1}""", "{}", ["$: must have at least 1 property"] },
        { """{"type":"string","format":"date-time"}""", "\"yesterday\"", ["$: must be a date and time (RFC 3339, e.g. 2026-01-31T09:30:00Z)"] },
        { """{"type":"string","format":"email"}""", "\"nobody\"", ["$: must be an email address"] },
        { """{"anyOf":[{"type":"string"},{"type":"object","required":["a"]}]}""", "{}",
            ["$: matches none of the allowed forms (anyOf): (1) must be a string, got an object; (2) a: required property missing"] },
        { """{"oneOf":[{"type":"number"},{"type":"integer"}]}""", "3", ["$: matches 2 of the allowed forms (oneOf), but must match exactly one"] },
        { """{"allOf":[{"required":["a"]},{"required":["b"]}]}""", "{}", ["$.a: required property missing", "$.b: required property missing"] },
        { """{"not":{"type":"string"}}""", "\"x\"", ["$: must not match the schema under 'not'"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_kind_of_error_is_a_sentence_at_its_json_path(string schema, string instance, string[] expected)
    {
        var loaded = await JsonSchemas.LoadAsync(JsonNode.Parse(schema));

        var errors = loaded.Schema.ShouldNotBeNull(string.Join("; ", loaded.Problems)).Validate(JsonNode.Parse(instance));

        errors.ShouldBe(expected, ignoreOrder: true);
    }
}
