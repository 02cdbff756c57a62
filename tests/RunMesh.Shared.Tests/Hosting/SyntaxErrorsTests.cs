using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Hosting.Documents;

namespace RunMesh.Shared.Tests.Hosting;

public sealed class SyntaxErrorsTests
{
    public static TheoryData<string, string> Json => new()
    {
        { "[1, 2,]", "line 1, column 7: a comma after the last item of an array (remove it)" },
        { "{\"a\": 1,\n}", "line 2, column 1: a comma after the last member of an object (remove it)" },
        { "{\"a\": true", "line 1, column 11: the text ends before every { and [ is closed" },
        { "{\"a\": 1", "line 1, column 8: a number without a ',', } or ] after it (is a { or [ left open?)" },
        { "{\"a\": 1} 2", "line 1, column 10: '2' after the end of the JSON value (only one value is allowed)" },
        { "{a: 1}", "line 1, column 2: 'a' where a field name in double quotes was expected" },
        { "{\"a\": @}", "line 1, column 7: '@' where a value was expected (a string in double quotes, a number, true, false, null, { or [)" },
        { "// note\n{}", "line 1, column 1: a comment: JSON has no comments" },
        { "{\"é\": \"ü\" 1}", "line 1, column 11: '1' where a ',' or the closing } or ] was expected (a comma missing?)" },
    };

    [Theory]
    [MemberData(nameof(Json))]
    public void A_json_syntax_error_says_where_in_lines_and_characters_and_what_in_plain_words(string text, string expected)
    {
        var exception = Should.Throw<JsonException>(() => JsonNode.Parse(text));

        var said = SyntaxErrors.OfJson(exception, text);

        said.ShouldBe(expected);
    }
}
