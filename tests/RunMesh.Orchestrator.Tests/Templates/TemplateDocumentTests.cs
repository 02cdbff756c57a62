using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class TemplateDocumentTests
{
    public static TheoryData<string, string> YamlScalars => new()
    {
        // YAML value, the JSON it becomes
        { "12", "12" },
        { "-3", "-3" },
        { "+7", "7" },
        { "007", "7" },
        { "0x1f", "31" },
        { "0o17", "15" },
        { "1.5", "1.5" },
        { "1e3", "1000" },
        { ".5", "0.5" },
        { "true", "true" },
        { "False", "false" },
        { "null", "null" },
        { "~", "null" },
        { "", "null" },
        { "'12'", "\"12\"" },
        { "\"true\"", "\"true\"" },
        { "'null'", "\"null\"" },
        { "!!str 12", "\"12\"" },
        { "!!int 12", "12" },
        { "yes", "\"yes\"" },
        { "on", "\"on\"" },
        { "1.2.3", "\"1.2.3\"" },
        { "hello world", "\"hello world\"" },
        { "2024-01-01", "\"2024-01-01\"" },
    };

    [Theory]
    [MemberData(nameof(YamlScalars))]
    public void Yaml_scalars_become_json_values_of_their_look_unless_quoted(string yaml, string json)
    {
        var result = TemplateDocument.Parse($"value: {yaml}\n", "application/yaml");

        result.Problems.ShouldBeEmpty();
        (result.Json!["value"]?.ToJsonString() ?? "null").ShouldBe(json);
    }

    [Fact]
    public void Yaml_block_scalars_stay_strings()
    {
        var result = TemplateDocument.Parse("value: |\n  123\n", "application/yaml");

        result.Json!["value"]!.GetValue<string>().ShouldBe("123\n");
    }

    public static TheoryData<string, string, string> RefusedYaml => new()
    {
        { "anchor and alias", "a: &x [1, 2]\nb: *x\n", "not allowed" },
        { "anchor alone", "a: &x 1\n", "anchors (&x) are not allowed" },
        { "merge key through an alias", "base: &b { k: 1 }\nother:\n  <<: *b\n", "not allowed" },
        { "custom tag", "a: !include other.yaml\n", "the tag !include is not allowed" },
        { "language-specific tag", "a: !!python/object:os.system ls\n", "is not allowed" },
        { "two documents", "a: 1\n---\nb: 2\n", "one YAML document" },
        { "duplicate key", "a: 1\na: 2\n", "uplicate key" },
        { "infinity", "a: .inf\n", "has no JSON form" },
        { "not a number", "a: .nan\n", "has no JSON form" },
        { "wrong core tag", "a: !!int twelve\n", "is not a valid" },
        { "complex key", "? [a, b]\n: 1\n", "keys must be plain strings" },
        { "syntax error", "a: [1, 2\n", "invalid YAML" },
        { "not a mapping", "- a\n- b\n", "must be a YAML mapping" },
        { "too deep", string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200)), "nested deeper than 128" },
    };

    [Theory]
    [MemberData(nameof(RefusedYaml))]
    public void Unsafe_or_ambiguous_yaml_is_refused(string what, string yaml, string fragment)
    {
        var result = TemplateDocument.Parse(yaml, "application/yaml");

        result.IsParsed.ShouldBeFalse(what);
        result.Problems.ShouldContain(p => p.Message.Contains(fragment, StringComparison.Ordinal), string.Join(" | ", result.Problems));
    }

    public static TheoryData<string, string, string> SyntaxErrors => new()
    {
        // text, content type, the problem's message: line and column (from 1) and what, in the author's words
        { "name: x\nphases: [a\n", "application/yaml", "invalid YAML: line 3, column 1: a ',' or the closing ] is missing in a [ … ] list" },
        { "name: x\n  version: 1\n", "application/yaml",
            "invalid YAML: line 2, column 10: a 'key: value' where it cannot be: check the indentation, or quote a value that contains ': '" },
        { "name: x\nname: y\n", "application/yaml", "invalid YAML: line 2, column 1: duplicate key 'name'" },
        { "name: \"spec\nversion: 1\n", "application/yaml", "invalid YAML: line 1, column 7: a quoted string is not closed" },
        { "name: x\nsettings: {a: 1\n", "application/yaml", "invalid YAML: line 3, column 1: a ',' or the closing } is missing in a { … } mapping" },
        { "{\n  \"name\": \"x\",\n}", "application/json", "invalid JSON: line 3, column 1: a comma after the last member of an object (remove it)" },
        { "{ \"name\": \"x\" \"version\": 1 }", "application/json",
            "invalid JSON: line 1, column 15: '\"' where a ',' or the closing } or ] was expected (a comma missing?)" },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void A_syntax_error_names_its_line_and_column_in_plain_words(string text, string contentType, string expected)
    {
        var result = TemplateDocument.Parse(text, contentType);

        result.IsParsed.ShouldBeFalse();
        result.Problems.Select(p => p.Message).ShouldBe([expected]);
    }

    [Fact]
    public void Yaml_alias_bomb_is_refused_without_expanding_it()
    {
        var bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (var level = 'b'; level <= 'j'; level++)
        {
            var previous = (char)(level - 1);
            bomb.Append(level).Append(": &").Append(level).Append(" [")
                .AppendJoin(", ", Enumerable.Repeat($"*{previous}", 10)).Append("]\n");
        }

        var clock = Stopwatch.StartNew();
        var result = TemplateDocument.Parse(bomb.ToString(), "application/yaml");

        result.IsParsed.ShouldBeFalse();
        result.Problems.ShouldContain(p => p.Message.Contains("aliases", StringComparison.Ordinal));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Json_duplicate_keys_are_refused()
    {
        var result = TemplateDocument.Parse("""{ "name": "a", "name": "b" }""", "application/json");

        result.IsParsed.ShouldBeFalse();
        result.Problems.Single().Message.ShouldStartWith("invalid JSON");
    }

    [Fact]
    public void Json_with_comments_or_trailing_commas_is_refused_when_declared_as_json()
    {
        var result = TemplateDocument.Parse("""{ "name": "a", }""", "application/json; charset=utf-8");

        result.IsParsed.ShouldBeFalse();
        result.Format.ShouldBe(DocumentFormat.Json);
    }

    public static TheoryData<string, string?, DocumentFormat> Formats => new()
    {
        { TemplateSamples.SpecReviewJson, null, DocumentFormat.Json },
        { TemplateSamples.SpecReviewYaml, null, DocumentFormat.Yaml },
        { TemplateSamples.SpecReviewJson, "application/json", DocumentFormat.Json },
        { TemplateSamples.SpecReviewYaml, "application/yaml", DocumentFormat.Yaml },
        { TemplateSamples.SpecReviewYaml, "text/yaml", DocumentFormat.Yaml },
        { TemplateSamples.SpecReviewYaml, "application/x-yaml", DocumentFormat.Yaml },
        { TemplateSamples.SpecReviewJson, "application/yaml", DocumentFormat.Yaml },
        { TemplateSamples.SpecReviewYaml, "text/plain", DocumentFormat.Yaml },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Content_type_decides_the_notation_and_json_is_tried_first_without_one(string text, string? contentType, DocumentFormat format)
    {
        var result = TemplateDocument.Parse(text, contentType);

        result.Problems.ShouldBeEmpty();
        result.Format.ShouldBe(format);
        result.Json!["name"]!.GetValue<string>().ShouldBe("spec-review");
    }

    [Fact]
    public void Yaml_declared_as_json_is_refused()
    {
        var result = TemplateDocument.Parse(TemplateSamples.SpecReviewYaml, "application/json");

        result.IsParsed.ShouldBeFalse();
        result.Problems.Single().Message.ShouldStartWith("invalid JSON");
    }

    [Fact]
    public void Broken_json_without_a_content_type_reports_the_json_error()
    {
        var result = TemplateDocument.Parse("""{ "name": "a" "version": 1 }""");

        result.IsParsed.ShouldBeFalse();
        result.Problems.Single().Message.ShouldStartWith("invalid JSON");
    }

    [Fact]
    public void A_template_over_256_KiB_is_refused_before_it_is_parsed()
    {
        var text = "name: big\ncomment: \"" + new string('x', 256 * 1024) + "\"\n";

        var result = TemplateDocument.Parse(text);

        result.Problems.ShouldBe([new ValidationProblem("$", "the template is larger than 256 KiB")]);
    }

    [Fact]
    public void A_json_array_is_not_a_template()
    {
        var result = TemplateDocument.Parse("[1, 2]", "application/json");

        result.Problems.ShouldBe([new ValidationProblem("$", "a template must be a JSON object")]);
    }

    [Fact]
    public void Yaml_and_json_of_the_same_content_give_equal_json()
    {
        var fromYaml = TemplateDocument.Parse(TemplateSamples.SpecReviewYaml).Json!;
        var fromJson = TemplateDocument.Parse(TemplateSamples.SpecReviewJson).Json!;

        // Same values, whatever the key order and number spelling (5.0 and 5, 3e2 and 300).
        JsonNode.DeepEquals(Normalize(fromYaml), Normalize(fromJson)).ShouldBeTrue();

        static JsonNode Normalize(JsonNode node) => JsonNode.Parse(RunMesh.Hashing.CanonicalJson.SerializeToString(node))!;
    }

    [Fact]
    public void Yaml_numbers_are_json_numbers_the_model_can_read()
    {
        var json = TemplateDocument.Parse("a: 5.0\nb: 200000\n").Json!;

        json["a"]!.GetValueKind().ShouldBe(JsonValueKind.Number);
        json["b"]!.GetValue<long>().ShouldBe(200_000);
    }

    [Fact]
    public void Json_nested_too_deep_is_refused()
    {
        var text = "{\"a\":" + string.Concat(Enumerable.Repeat("[", 500)) + string.Concat(Enumerable.Repeat("]", 500)) + "}";

        var result = TemplateDocument.Parse(text, "application/json");

        result.IsParsed.ShouldBeFalse();
        result.Problems.Single().Message.ShouldStartWith("invalid JSON");
    }
}
