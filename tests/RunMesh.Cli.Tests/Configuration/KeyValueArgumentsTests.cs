using System.Text.Json.Nodes;
using RunMesh.Cli.Commands;
using RunMesh.Cli.Configuration;

namespace RunMesh.Cli.Tests.Configuration;

public sealed class KeyValueArgumentsTests
{
    [Theory]
    [InlineData("count=3", "count", "3")]
    [InlineData("ratio=0.5", "ratio", "0.5")]
    [InlineData("strict=true", "strict", "true")]
    [InlineData("tags=[\"a\",\"b\"]", "tags", "[\"a\",\"b\"]")]
    [InlineData("limits={\"max\":2}", "limits", "{\"max\":2}")]
    [InlineData("quoted=\"42\"", "quoted", "\"42\"")]
    [InlineData("feature=dark mode", "feature", "\"dark mode\"")]
    [InlineData("empty=", "empty", "\"\"")]
    [InlineData("expr=a=b", "expr", "\"a=b\"")]
    [InlineData("nothing=null", "nothing", "null")]
    public void Values_are_JSON_when_they_parse_as_JSON_and_strings_otherwise(string argument, string key, string json)
    {
        var merged = KeyValueArguments.Merge(null, [argument], "--input");

        merged.Count.ShouldBe(1);
        (merged[key]?.ToJsonString() ?? "null").ShouldBe(json);
    }

    [Theory]
    [InlineData("novalue")]
    [InlineData("=value")]
    public void An_argument_without_a_key_is_a_usage_error(string argument) =>
        Should.Throw<UsageException>(() => KeyValueArguments.Merge(null, [argument], "--input")).Message.ShouldContain("--input takes key=value");

    [Fact]
    public void Later_values_win_over_earlier_ones_and_over_the_file()
    {
        var merged = KeyValueArguments.Merge(new JsonObject { ["a"] = 1, ["b"] = 2 }, ["b=3", "c=x", "c=y"], "--input");

        merged.ToJsonString().ShouldBe("""{"a":1,"b":3,"c":"y"}""");
    }

    [Fact]
    public void The_start_body_leaves_out_what_was_not_given_and_keeps_labels_as_strings()
    {
        var bare = RunStartCommand.StartBody(new RunStartSettings { Template = "t@1" });
        bare.ToJsonString().ShouldBe("""{"template":"t@1","inputs":{}}""");

        var full = RunStartCommand.StartBody(new RunStartSettings
        {
            Template = "t@1",
            Inputs = ["n=2"],
            Model = ["temperature=0.7"],
            Labels = ["team=docs", "n=2"],
            Force = true,
        });
        full.ToJsonString().ShouldBe(
            """{"template":"t@1","inputs":{"n":2},"model":{"temperature":0.7},"options":{"force":true,"labels":{"team":"docs","n":"2"}}}""");
    }
}
