using System.Diagnostics;
using System.Text.Json.Nodes;
using RunMesh.Schemas;

namespace RunMesh.Shared.Tests.Schemas;

/// <summary>Every <c>pattern</c> is evaluated with a time bound: a catastrophic one makes the instance invalid, quickly.</summary>
public sealed class SchemaPatternTests
{
    private const string Catastrophic = "^(a+)+$";

    // Forty characters: unbounded, backtracking ^(a+)+$ on them would take days.
    private static readonly string s_evilInput = new string('a', 40) + "!";

    [Theory]
    [InlineData("""{"type":"object","properties":{"feature":{"type":"string","pattern":"^(a+)+$"}}}""", "#/feature")]
    [InlineData("""{"type":"object","properties":{"feature":{"type":"string","PATTERN":"^(a+)+$"}}}""", "#/feature")]
    [InlineData("""{"type":"object","properties":{"feature":{"anyOf":[{"type":"integer"},{"type":"string","pattern":"^(a+)+$"}]}}}""", "#/feature")]
    [InlineData("""{"type":"object","properties":{"feature":{"not":{"pattern":"^(a+)+$"}}}}""", "#/feature")]
    [InlineData("""{"type":"object","properties":{"feature":{"$ref":"#/definitions/d"}},"definitions":{"d":{"pattern":"^(a+)+$"}}}""", "#/feature")]
    public async Task A_pattern_that_takes_too_long_is_a_validation_error_naming_it(string schemaJson, string location)
    {
        var schema = await LoadAsync(schemaJson);
        var instance = new JsonObject { ["feature"] = s_evilInput };

        var clock = Stopwatch.StartNew();
        var errors = schema.FindErrors(instance);
        clock.Stop();

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
        errors.ShouldBe([new SchemaError(location, $"pattern \"{Catastrophic}\" took too long to evaluate")]);
    }

    [Fact]
    public async Task A_pattern_property_name_that_takes_too_long_is_a_validation_error_naming_it()
    {
        var schema = await LoadAsync("""{"type":"object","patternProperties":{"^(a+)+$":{"type":"string"}},"additionalProperties":false}""");
        var instance = new JsonObject { [s_evilInput] = "x" };

        var clock = Stopwatch.StartNew();
        var errors = schema.Validate(instance);
        clock.Stop();

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
        errors.ShouldBe([$"$.{s_evilInput}: pattern \"{Catastrophic}\" took too long to evaluate"]);
    }

    [Fact]
    public async Task Many_slow_matches_together_are_bounded_too()
    {
        // Each item alone finishes within the per-match bound; hundreds of them would not, together.
        var schema = await LoadAsync("""{"type":"array","items":{"type":"string","pattern":"^(a+)+$"}}""");
        var instance = new JsonArray([.. Enumerable.Range(0, 500).Select(_ => JsonValue.Create(new string('a', 18) + "!"))]);

        var clock = Stopwatch.StartNew();
        var errors = schema.FindErrors(instance);
        clock.Stop();

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
        errors.Count.ShouldBe(1);
        errors[0].Message.ShouldStartWith($"pattern \"{Catastrophic}\" took too long to evaluate");
    }

    [Theory]
    [InlineData("aaaa", true)]
    [InlineData("aaab", false)]
    public async Task A_pattern_that_finishes_in_time_validates_as_before(string value, bool valid)
    {
        var schema = await LoadAsync("""{"type":"object","properties":{"feature":{"type":"string","pattern":"^(a+)+$"}}}""");

        var errors = schema.Validate(new JsonObject { ["feature"] = value });

        if (valid)
        {
            errors.ShouldBeEmpty();
        }
        else
        {
            errors.ShouldBe(["$.feature: must match the pattern ^(a+)+$"]);
        }
    }

    [Fact]
    public async Task A_pattern_that_is_not_a_regular_expression_is_a_validation_error_not_an_exception()
    {
        var schema = await LoadAsync("""{"type":"string","pattern":"(unclosed"}""");

        schema.FindErrors(JsonValue.Create("x")).ShouldBe([new SchemaError("#", "pattern \"(unclosed\" is not a valid regular expression")]);
    }

    private static async Task<CompiledSchema> LoadAsync(string json)
    {
        var result = await JsonSchemas.LoadAsync(JsonNode.Parse(json));
        result.Problems.ShouldBeEmpty();
        return result.Schema!;
    }
}
