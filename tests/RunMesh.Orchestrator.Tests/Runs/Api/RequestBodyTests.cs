using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using RunMesh.Hosting.Problems;
using RunMesh.Orchestrator.Runs.Api;

namespace RunMesh.Orchestrator.Tests.Runs.Api;

/// <summary>
/// How the run commands read their bodies: every null or wrongly typed field is a 400 <c>invalid_request</c> that
/// names the field and says what it must be — never an exception further in.
/// </summary>
public sealed class RequestBodyTests
{
    private const string FullStart = """
        {"template":"spec-review@1","inputs":{"feature":"x"},"model":{"name":"mock"},
         "options":{"force":false,"maxDepth":3,"budget":{"maxCostUsd":1,"maxTokens":1000},"timeoutSeconds":60,"labels":{"team":"docs"}},
         "parentRunId":"0b5c2f0e-8d3a-4f7e-9a59-2f1c6f3f9f5e"}
        """;

    /// <summary>Every field of a start body, as a dotted path and as the JSON path a problem names.</summary>
    public static TheoryData<string, string> StartFields => new()
    {
        { "template", "$.template" },
        { "inputs", "$.inputs" },
        { "model", "$.model" },
        { "options", "$.options" },
        { "options.force", "$.options.force" },
        { "options.maxDepth", "$.options.maxDepth" },
        { "options.budget", "$.options.budget" },
        { "options.budget.maxCostUsd", "$.options.budget.maxCostUsd" },
        { "options.budget.maxTokens", "$.options.budget.maxTokens" },
        { "options.timeoutSeconds", "$.options.timeoutSeconds" },
        { "options.labels", "$.options.labels" },
        { "parentRunId", "$.parentRunId" },
    };

    [Theory]
    [MemberData(nameof(StartFields))]
    public async Task A_start_with_a_null_field_is_refused_naming_the_field(string field, string path)
    {
        var body = JsonNode.Parse(FullStart)!.AsObject();
        SetNull(body, field);

        var problem = await RefusalOfAsync<RunCommandsApi.StartRunRequest>(body.ToJsonString(), required: true);

        problem.ShouldStartWith($"{path}: must be ");
        problem.ShouldContain("not null");
    }

    [Fact]
    public async Task A_full_start_body_is_read()
    {
        var (value, problem) = await ReadAsync<RunCommandsApi.StartRunRequest>(FullStart, required: true);

        problem.ShouldBeNull();
        value.ShouldNotBeNull().Options.ShouldNotBeNull().Labels["team"].ShouldBe("docs");
    }

    public static TheoryData<string, string, string> WrongStarts => new()
    {
        { """{"template":42}""", "$.template", "must be a string" },
        { """{"template":"t@1","inputs":"feature"}""", "$.inputs", "must be an object" },
        { """{"template":"t@1","options":[]}""", "$.options", "must be an object" },
        { """{"template":"t@1","options":{"maxDepth":"deep"}}""", "$.options.maxDepth", "must be an integer" },
        { """{"template":"t@1","options":{"maxDepth":99999999999999999999}}""", "$.options.maxDepth", "must be an integer" },
        { """{"template":"t@1","options":{"labels":{"team":5}}}""", "$.options.labels.team", "must be a string" },
        { """{"template":"t@1","parentRunId":"../../etc"}""", "$.parentRunId", "must be a UUID string" },
        { """{"template":"t@1","sudo":true}""", "$.sudo", "is not a known field" },
        { """{"template":"t@1","options":{"priority":1}}""", "$.options.priority", "is not a known field" },
        { """{"inputs":{}}""", "$.template", "is required" },
        { """[1,2]""", "$", "must be an object" },
        { """{"template": """, "$", "is not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(WrongStarts))]
    public async Task A_start_with_a_wrong_field_is_refused_saying_what_it_must_be(string json, string path, string message)
    {
        var problem = await RefusalOfAsync<RunCommandsApi.StartRunRequest>(json, required: true);

        problem.ShouldStartWith(path);
        problem.ShouldContain(message);
    }

    [Fact]
    public async Task An_empty_object_is_refused_naming_the_required_field_not_the_parser()
    {
        var (detail, errors) = await ProblemOfAsync<RunCommandsApi.StartRunRequest>("{}", required: true);

        detail.ShouldBe("$.template: is required.");
        errors.ShouldBe([("$.template", "is required")]);
    }

    [Fact]
    public async Task Every_wrong_field_of_a_body_is_listed_at_once()
    {
        var (detail, errors) = await ProblemOfAsync<RunCommandsApi.StartRunRequest>(
            """{"templat":"t@1","inputs":"feature","options":{"maxDepth":"deep","force":null}}""", required: true);

        errors.ShouldBe([
            ("$.templat", "is not a known field (did you mean 'template'?)"),
            ("$.inputs", "must be an object, got a string"),
            ("$.options.maxDepth", "must be an integer from -2147483648 to 2147483647, got a string"),
            ("$.options.force", "must be true or false, not null (leave the field out for its default)"),
            ("$.template", "is required"),
        ]);
        detail.ShouldStartWith("5 problems: $.templat: is not a known field (did you mean 'template'?); $.inputs: must be an object");
    }

    public static TheoryData<string, string> Unreadable => new()
    {
        // body, what the detail says (line and column from 1, in characters)
        { """{"template":"t@1",}""", "$: is not valid JSON: line 1, column 19: a comma after the last member of an object (remove it)." },
        { "{\n  \"template\": \"t@1\",\n  \"inputs\": {\"x\": [1, 2,]}\n}", "$: is not valid JSON: line 3, column 25: a comma after the last item of an array (remove it)." },
        { """{"template": 't@1'}""", "$: is not valid JSON: line 1, column 14: single quotes: JSON strings and names are written in double quotes (\")." },
        { """{"template": "tëst@1" "inputs": {}}""", "$: is not valid JSON: line 1, column 23: '\"' where a ',' or the closing } or ] was expected (a comma missing?)." },
        { """{"template": """, "$: is not valid JSON: line 1, column 14: the text ends before every { and [ is closed." },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task Json_that_does_not_parse_is_refused_with_its_line_and_column_in_plain_words(string json, string expected)
    {
        var (detail, _) = await ProblemOfAsync<RunCommandsApi.StartRunRequest>(json, required: true);

        detail.ShouldBe(expected);
        detail.ShouldNotContain("LineNumber");
        detail.ShouldNotContain("reader options");
    }

    [Fact]
    public async Task A_cancel_with_a_null_reason_is_refused_naming_it()
    {
        var problem = await RefusalOfAsync<RunCommandsApi.CancelRunRequest>("""{"reason":null}""", required: false);

        problem.ShouldBe("$.reason: must be a string, not null (leave the field out for its default).");
    }

    private static async Task<string> RefusalOfAsync<T>(string json, bool required)
        where T : class
    {
        var (value, problem) = await ReadAsync<T>(json, required);
        value.ShouldBeNull();
        var details = problem.ShouldBeOfType<ProblemHttpResult>().ProblemDetails;
        details.Status.ShouldBe(StatusCodes.Status400BadRequest);
        details.Extensions["code"].ShouldBe(ProblemCodes.InvalidRequest);
        return details.Detail ?? "";
    }

    private static async Task<(string Detail, (string Path, string Message)[] Errors)> ProblemOfAsync<T>(string json, bool required)
        where T : class
    {
        var (value, problem) = await ReadAsync<T>(json, required);
        value.ShouldBeNull();
        var details = problem.ShouldBeOfType<ProblemHttpResult>().ProblemDetails;
        details.Status.ShouldBe(StatusCodes.Status400BadRequest);
        details.Extensions["code"].ShouldBe(ProblemCodes.InvalidRequest);
        var errors = JsonSerializer.SerializeToNode(details.Extensions["errors"])!.AsArray()
            .Select(e => (e!["path"]!.GetValue<string>(), e["message"]!.GetValue<string>())).ToArray();
        return (details.Detail ?? "", errors);
    }

    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(string json, bool required)
        where T : class
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        context.Request.ContentType = "application/json";
        var body = await StrictJsonBody.ReadAsync<T>(context.Request, required, CancellationToken.None);
        return (body.Value, body.Problem);
    }

    private static void SetNull(JsonObject root, string dotted)
    {
        var segments = dotted.Split('.');
        var parent = root;
        foreach (var segment in segments[..^1])
        {
            parent = parent[segment]!.AsObject();
        }

        parent[segments[^1]] = null;
    }
}
