using System.Text.Json.Nodes;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class ChildRunInputsTests
{
    private static readonly JsonObject s_runInputs = Json("""
        { "topic": "tides", "count": 5, "flag": false, "nothing": null, "topics": ["moon", "sun"],
          "owner": { "name": "Ana", "id": 7 }, "style": "plain" }
        """);

    private static readonly Dictionary<string, JsonNode?> s_outputs = new()
    {
        ["outline"] = Json("""
            { "chapters": [{ "title": "Moon", "words": 1200 }, { "title": "Sun", "words": 800 }],
              "book": { "parts": [["a", "b"], ["c"]], "meta": { "title": "Tides" } }, "count": 2 }
            """),
    };

    private static readonly JsonNode s_item = JsonNode.Parse("""{ "title": "Sun", "words": 800, "tags": ["hot", "bright"], "notes": null }""")!;

    public static TheoryData<string, string> ItemSources => new()
    {
        // forEach, the items it names (as a JSON array)
        { "inputs.topics", """["moon","sun"]""" },
        { "phases.outline.output.chapters", """[{"title":"Moon","words":1200},{"title":"Sun","words":800}]""" },
        { "phases.outline.output.book.parts", """[["a","b"],["c"]]""" },
        { "phases.outline.output.book.parts.0", """["a","b"]""" },
    };

    [Theory]
    [MemberData(nameof(ItemSources))]
    public void ForEach_names_the_elements_of_an_array_of_the_inputs_or_an_earlier_output(string forEach, string expected)
    {
        var (items, error) = ChildRunInputs.ItemsOf(Settings(forEach), s_runInputs, s_outputs);

        error.ShouldBeNull();
        JsonNode.DeepEquals(new JsonArray(items.ShouldNotBeNull().ToArray()), JsonNode.Parse(expected)).ShouldBeTrue();
    }

    public static TheoryData<string, string> BadItemSources => new()
    {
        // forEach, the error
        { "phases.outline.output.sections", "forEach phases.outline.output.sections does not exist" },
        { "phases.draft.output.chapters", "forEach phases.draft.output.chapters does not exist" },
        { "phases.outline.output.chapters.2", "forEach phases.outline.output.chapters.2 does not exist" },
        { "inputs.chapters", "forEach inputs.chapters does not exist" },
        { "phases.outline.output.book", "forEach phases.outline.output.book is an object, not an array" },
        { "phases.outline.output.book.meta.title", "forEach phases.outline.output.book.meta.title is a string, not an array" },
        { "phases.outline.output.count", "forEach phases.outline.output.count is a number, not an array" },
        { "inputs.nothing", "forEach inputs.nothing is null, not an array" },
        { "inputs.flag", "forEach inputs.flag is a boolean, not an array" },
        { "{{inputs.topics}}", "forEach \"{{inputs.topics}}\" is not a reference: it must be phases.KEY.output[.FIELD…] or inputs.NAME" },
    };

    [Theory]
    [MemberData(nameof(BadItemSources))]
    public void ForEach_that_names_no_array_is_an_error_a_person_can_act_on(string forEach, string expected)
    {
        var (items, error) = ChildRunInputs.ItemsOf(Settings(forEach), s_runInputs, s_outputs);

        items.ShouldBeNull();
        error.ShouldBe(expected);
    }

    [Fact]
    public void Without_forEach_there_are_no_items_and_no_error()
    {
        var (items, error) = ChildRunInputs.ItemsOf(Settings(forEach: null), s_runInputs, s_outputs);

        items.ShouldBeNull();
        error.ShouldBeNull();
    }

    [Fact]
    public void Items_are_copies()
    {
        var (items, _) = ChildRunInputs.ItemsOf(Settings("phases.outline.output.chapters"), s_runInputs, s_outputs);

        items![0]!["title"] = "changed";

        s_outputs["outline"]!["chapters"]![0]!["title"]!.GetValue<string>().ShouldBe("Moon");
    }

    public static TheoryData<string, string, string> Renderings => new()
    {
        // case, settings.inputs, the child's inputs (for item s_item at index 1)
        { "a number keeps its type", """{ "n": "{{inputs.count}}" }""", """{ "n": 5 }""" },
        { "whitespace inside the braces", """{ "n": "{{  inputs.count }}" }""", """{ "n": 5 }""" },
        { "a boolean and null keep their type", """{ "f": "{{inputs.flag}}", "z": "{{inputs.nothing}}" }""", """{ "f": false, "z": null }""" },
        { "an object keeps its type", """{ "owner": "{{inputs.owner}}" }""", """{ "owner": { "name": "Ana", "id": 7 } }""" },
        { "an array keeps its type", """{ "chapters": "{{phases.outline.output.chapters}}" }""", """{ "chapters": [{ "title": "Moon", "words": 1200 }, { "title": "Sun", "words": 800 }] }""" },
        { "a whole output", """{ "o": "{{phases.outline.output.book.meta}}" }""", """{ "o": { "title": "Tides" } }""" },
        { "a string stays a string", """{ "t": "{{inputs.topic}}" }""", """{ "t": "tides" }""" },
        { "text around a reference makes text", """{ "t": " {{inputs.count}}" }""", """{ "t": " 5" }""" },
        { "mixed text", """{ "t": "Write about {{inputs.topic}} in {{inputs.count}} parts for {{inputs.owner}}" }""", """{ "t": "Write about tides in 5 parts for {\"id\":7,\"name\":\"Ana\"}" }""" },
        { "two references are text", """{ "t": "{{inputs.count}}{{inputs.count}}" }""", """{ "t": "55" }""" },
        { "the item", """{ "chapter": "{{item}}" }""", """{ "chapter": { "title": "Sun", "words": 800, "tags": ["hot", "bright"], "notes": null } }""" },
        { "item fields", """{ "title": "{{item.title}}", "words": "{{item.words}}", "first": "{{item.tags.0}}", "notes": "{{item.notes}}" }""", """{ "title": "Sun", "words": 800, "first": "hot", "notes": null }""" },
        { "the index is a number", """{ "n": "{{index}}" }""", """{ "n": 1 }""" },
        { "the index and item in text", """{ "h": "Chapter {{index}}: {{item.title}} ({{item.tags}})" }""", """{ "h": "Chapter 1: Sun ([\"hot\",\"bright\"])" }""" },
        { "nested objects and arrays", """{ "a": { "b": ["{{item.title}}", "{{index}}", 3, true, null, "plain", { "c": "{{inputs.style}}" }] } }""", """{ "a": { "b": ["Sun", 1, 3, true, null, "plain", { "c": "plain" }] } }""" },
        { "values without references are copied", """{ "n": 1.5, "b": true, "z": null, "s": "{ single } and }}", "e": {}, "l": [] }""", """{ "n": 1.5, "b": true, "z": null, "s": "{ single } and }}", "e": {}, "l": [] }""" },
        { "no inputs", "{}", "{}" },
    };

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Every_string_is_rendered_and_a_lone_reference_keeps_its_json_type(string why, string template, string expected)
    {
        var (inputs, missing) = ChildRunInputs.Render(Json(template), s_runInputs, s_outputs, s_item, 1);

        missing.ShouldBeEmpty(why);
        JsonNode.DeepEquals(inputs, JsonNode.Parse(expected)).ShouldBeTrue($"{why}: got {inputs?.ToJsonString()}");
    }

    [Fact]
    public void Every_reference_without_a_value_is_listed_once_in_order()
    {
        var template = Json("""
            { "a": "{{item.subtitle}}", "b": ["x {{inputs.audience}}", { "c": "{{phases.edit.output}}" }],
              "d": "{{ item.subtitle }}", "e": "{{phases.outline.output.chapters.7.title}}", "f": "{{inputs.topic}}" }
            """);

        var (inputs, missing) = ChildRunInputs.Render(template, s_runInputs, s_outputs, s_item, 0);

        inputs.ShouldBeNull();
        missing.ShouldBe(["item.subtitle", "inputs.audience", "phases.edit.output", "phases.outline.output.chapters.7.title"]);
    }

    [Fact]
    public void Without_forEach_item_and_index_resolve_to_nothing()
    {
        var (inputs, missing) = ChildRunInputs.Render(
            Json("""{ "n": "{{index}}", "t": "Part {{item.title}}", "topic": "{{inputs.topic}}" }"""), s_runInputs, s_outputs, item: null, index: null);

        inputs.ShouldBeNull();
        missing.ShouldBe(["index", "item.title"]);
    }

    [Fact]
    public void A_null_item_is_a_value_but_has_no_fields()
    {
        var (inputs, _) = ChildRunInputs.Render(Json("""{ "i": "{{item}}", "n": "{{index}}" }"""), s_runInputs, s_outputs, item: null, index: 3);
        var (_, missing) = ChildRunInputs.Render(Json("""{ "t": "{{item.title}}" }"""), s_runInputs, s_outputs, item: null, index: 3);

        JsonNode.DeepEquals(inputs, Json("""{ "i": null, "n": 3 }""")).ShouldBeTrue(inputs?.ToJsonString());
        missing.ShouldBe(["item.title"]);
    }

    [Fact]
    public void Rendered_inputs_are_copies_and_the_template_is_unchanged()
    {
        var template = Json("""{ "owner": "{{inputs.owner}}", "chapter": "{{item}}", "list": ["{{index}}"] }""");
        var before = template.ToJsonString();

        var (inputs, _) = ChildRunInputs.Render(template, s_runInputs, s_outputs, s_item, 0);
        inputs!["owner"]!["name"] = "changed";
        inputs["chapter"]!["title"] = "changed";

        template.ToJsonString().ShouldBe(before);
        s_runInputs["owner"]!["name"]!.GetValue<string>().ShouldBe("Ana");
        s_item["title"]!.GetValue<string>().ShouldBe("Sun");
    }

    [Fact]
    public void A_malformed_reference_is_a_programming_error()
    {
        Should.Throw<ArgumentException>(() => ChildRunInputs.Render(Json("""{ "x": "{{ env.HOME }}" }"""), s_runInputs, s_outputs, s_item, 0));
    }

    [Fact]
    public async Task The_write_book_sample_renders_one_child_per_chapter()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.WriteBookYaml)).Template!;
        var settings = ChildRunSettings.Of(template.Phases[1].SettingsToJsonObject());
        var runInputs = Json("""{ "topic": "tides", "style": "plain", "audience": "children" }""");

        var (items, _) = ChildRunInputs.ItemsOf(settings, runInputs, s_outputs);
        var children = items!.Select((item, index) => ChildRunInputs.Render(settings.Inputs, runInputs, s_outputs, item, index).Inputs!).ToList();

        children.Count.ShouldBe(2);
        JsonNode.DeepEquals(children[1], Json("""
            { "title": "Sun", "words": 800, "n": 1, "heading": "Chapter 1: Sun", "style": "plain",
              "book": { "topic": "tides", "outline": [{ "title": "Moon", "words": 1200 }, { "title": "Sun", "words": 800 }], "tags": ["draft", "children"] },
              "draft": true }
            """)).ShouldBeTrue(children[1].ToJsonString());
    }

    public static TheoryData<string, string> SettingsReadings => new()
    {
        // settings, the ChildRunSettings read (as JSON)
        { """{ "template": "write-chapter@2" }""", """{ "Template": "write-chapter@2", "Inputs": {}, "ForEach": null, "MaxParallel": 8 }""" },
        { """{ "template": "w@1", "inputs": { "a": "{{item}}" }, "forEach": "inputs.list", "maxParallel": 4.0 }""", """{ "Template": "w@1", "Inputs": { "a": "{{item}}" }, "ForEach": "inputs.list", "MaxParallel": 4 }""" },
        { """{ "template": "w@1", "maxParallel": 256 }""", """{ "Template": "w@1", "Inputs": {}, "ForEach": null, "MaxParallel": 256 }""" },
    };

    [Theory]
    [MemberData(nameof(SettingsReadings))]
    public void Settings_are_read_with_their_defaults(string settings, string expected)
    {
        var read = ChildRunSettings.Of(Json(settings));

        JsonNode.DeepEquals(System.Text.Json.JsonSerializer.SerializeToNode(read), JsonNode.Parse(expected)).ShouldBeTrue();
    }

    [Fact]
    public void Settings_without_a_template_are_a_programming_error()
    {
        Should.Throw<ArgumentException>(() => ChildRunSettings.Of(Json("""{ "inputs": {} }""")));
    }

    private static ChildRunSettings Settings(string? forEach) => new("write-chapter@2", [], forEach, ChildRunSettings.DefaultMaxParallel);

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();
}
