using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Tests.Infrastructure;

namespace RunMesh.PhaseWorker.Tests.Executors;

public sealed class OpenAIExecutorTests
{
    private const string ApiKey = "sk-test-secret-key-123";

    private const string Completion = """
        {
          "id": "chatcmpl-1",
          "object": "chat.completion",
          "model": "gpt-test",
          "choices": [ { "index": 0, "finish_reason": "stop",
                         "message": { "role": "assistant", "content": "{\"title\":\"Rate limiter\",\"steps\":[\"design\",\"build\"]}" } } ],
          "usage": { "prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500 }
        }
        """;

    [Fact]
    public async Task Returns_the_message_content_as_the_artifact_with_usage_and_cost_from_the_price_table()
    {
        await using var server = await FakeServer.AnsweringAsync(200, Completion);
        await using var services = Services(server);

        var result = await services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None);

        result.Artifact!["title"]!.GetValue<string>().ShouldBe("Rate limiter");
        result.Usage.InputTokens.ShouldBe(1200);
        result.Usage.OutputTokens.ShouldBe(300);
        result.Usage.CostUsd.ShouldBe((1.2m * 0.5m) + (0.3m * 1.5m));
    }

    [Fact]
    public async Task Sends_the_key_the_model_parameters_the_schema_and_a_json_response_format()
    {
        await using var server = await FakeServer.AnsweringAsync(200, Completion);
        await using var services = Services(server);

        await services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Method.ShouldBe("POST");
        request.PathAndQuery.ShouldBe("/v1/chat/completions");
        request.Headers["Authorization"].ShouldBe($"Bearer {ApiKey}");
        var body = JsonNode.Parse(request.Body)!;
        body["model"]!.GetValue<string>().ShouldBe("gpt-test");
        body["temperature"]!.GetValue<decimal>().ShouldBe(0.2m);
        body["max_tokens"]!.GetValue<int>().ShouldBe(500);
        body["response_format"]!["type"]!.GetValue<string>().ShouldBe("json_object");
        var messages = body["messages"]!.AsArray();
        messages[0]!["role"]!.GetValue<string>().ShouldBe("system");
        messages[0]!["content"]!.GetValue<string>().ShouldContain(Commands.SpecSchema.ToJsonString());
        messages[1]!["content"]!.GetValue<string>().ShouldBe("Write a spec for a rate limiter");
    }

    [Fact]
    public async Task Sends_the_model_seed_as_seed()
    {
        await using var server = await FakeServer.AnsweringAsync(200, Completion);
        await using var services = Services(server);
        var command = Command();
        command.Model["seed"] = 6_130_542_211_902_377L;

        await services.Executor("openai").ExecuteAsync(command, CancellationToken.None);

        JsonNode.Parse(server.Requests.ShouldHaveSingleItem().Body)!["seed"]!.GetValue<long>().ShouldBe(6_130_542_211_902_377L);
    }

    [Fact]
    public async Task Sends_no_seed_when_the_model_has_none()
    {
        await using var server = await FakeServer.AnsweringAsync(200, Completion);
        await using var services = Services(server);

        await services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None);

        JsonNode.Parse(server.Requests.ShouldHaveSingleItem().Body)!.AsObject().ContainsKey("seed").ShouldBeFalse();
    }

    [Fact]
    public async Task A_model_seed_that_is_not_an_integer_fails_before_any_request()
    {
        await using var server = await FakeServer.AnsweringAsync(200, Completion);
        await using var services = Services(server);
        var command = Command();
        command.Model["seed"] = "seven";

        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("openai").ExecuteAsync(command, CancellationToken.None));

        error.Message.ShouldContain("model.seed");
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task System_prompt_carries_the_repair_feedback()
    {
        await using var server = await FakeServer.AnsweringAsync(200, Completion);
        await using var services = Services(server);

        await services.Executor("openai").ExecuteAsync(Command(repairFeedback: ["#/title: PropertyRequired"]), CancellationToken.None);

        var system = JsonNode.Parse(server.Requests.ShouldHaveSingleItem().Body)!["messages"]![0]!["content"]!.GetValue<string>();
        system.ShouldContain("#/title: PropertyRequired");
    }

    [Theory]
    [InlineData(429, "{\"error\":{\"message\":\"slow down\"}}", "429")]
    [InlineData(500, "{}", "500")]
    [InlineData(503, "oops", "503")]
    [InlineData(401, "{}", "401")]
    [InlineData(200, "not json", "not valid JSON")]
    [InlineData(200, """{"choices":[]}""", "no message content")]
    [InlineData(200, """{"choices":[{"message":{"content":"the answer is 42"}}]}""", "not valid JSON")]
    public async Task Failures_are_executor_errors_that_reveal_no_secret(int status, string body, string expected)
    {
        await using var server = await FakeServer.AnsweringAsync(status, body);
        await using var services = Services(server);

        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None));

        error.Message.ShouldContain(expected);
        error.Message.ShouldNotContain(ApiKey);
    }

    [Fact]
    public async Task Tokens_spent_on_an_answer_that_is_not_json_are_still_reported()
    {
        await using var server = await FakeServer.AnsweringAsync(200,
            """{"choices":[{"message":{"content":"sorry, no"}}],"usage":{"prompt_tokens":1000,"completion_tokens":10}}""");
        await using var services = Services(server);

        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None));

        var usage = error.Usage.ShouldNotBeNull();
        usage.InputTokens.ShouldBe(1000);
        usage.OutputTokens.ShouldBe(10);
        usage.CostUsd.ShouldBe(0.5m + (0.01m * 1.5m));
    }

    [Fact]
    public async Task Fenced_json_content_is_accepted()
    {
        var fenced = """{"choices":[{"message":{"content":"```json\n{\"title\":\"x\",\"steps\":[]}\n```"}}]}""";
        await using var server = await FakeServer.AnsweringAsync(200, fenced);
        await using var services = Services(server);

        var result = await services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None);

        result.Artifact!["title"]!.GetValue<string>().ShouldBe("x");
        result.Usage.InputTokens.ShouldBe(0);
    }

    [Fact]
    public async Task Request_timeout_is_an_executor_error()
    {
        await using var server = await FakeServer.StartAsync(context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        await using var services = Services(server, options => options.OpenAI.RequestTimeoutSeconds = 1);

        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None));

        error.Message.ShouldContain("timed out");
    }

    [Fact]
    public async Task Caller_cancellation_propagates()
    {
        await using var server = await FakeServer.StartAsync(context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        await using var services = Services(server);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() => services.Executor("openai").ExecuteAsync(Command(), cancel.Token));
    }

    [Fact]
    public async Task Without_a_configured_endpoint_it_is_an_executor_error()
    {
        await using var services = WorkerServices.Build();

        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("openai").ExecuteAsync(Command(), CancellationToken.None));

        error.Message.ShouldContain("PhaseWorker:OpenAI:BaseUrl");
    }

    private static ServiceProvider Services(FakeServer server, Action<PhaseWorkerOptions>? configure = null) =>
        WorkerServices.Build(options =>
        {
            options.OpenAI.BaseUrl = new Uri(server.BaseAddress, "/v1").ToString();
            options.OpenAI.ApiKey = ApiKey;
            options.Prices["gpt-test"] = new ModelPrice { InputPer1kTokens = 0.5m, OutputPer1kTokens = 1.5m };
            configure?.Invoke(options);
        });

    private static RunMesh.Contracts.ExecutePhase Command(IReadOnlyList<string>? repairFeedback = null) =>
        Commands.Execute(
            executor: "openai",
            model: new JsonObject { ["name"] = "gpt-test", ["temperature"] = 0.2m, ["maxTokens"] = 500 },
            repairFeedback: repairFeedback);
}
