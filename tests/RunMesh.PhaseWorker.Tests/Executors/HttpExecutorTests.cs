using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Tests.Infrastructure;

namespace RunMesh.PhaseWorker.Tests.Executors;

public sealed class HttpExecutorTests
{
    [Fact]
    public async Task Posts_the_phase_with_the_execution_id_as_idempotency_key_and_returns_the_body_as_the_artifact()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"From elsewhere","steps":["one"]}""");
        await using var services = WorkerServices.Build();
        var command = Command(new Uri(server.BaseAddress, "/phases/spec").ToString());

        var result = await services.Executor("http").ExecuteAsync(command, CancellationToken.None);

        result.Artifact!["title"]!.GetValue<string>().ShouldBe("From elsewhere");
        result.Usage.ShouldBe(new Usage());
        var request = server.Requests.ShouldHaveSingleItem();
        request.Method.ShouldBe("POST");
        request.PathAndQuery.ShouldBe("/phases/spec");
        request.Headers["Idempotency-Key"].ShouldBe(command.ExecutionId.ToString("D"));
        var body = JsonNode.Parse(request.Body)!.AsObject();
        body.Select(property => property.Key).Order().ShouldBe(["attempt", "inputs", "instructions", "phaseKey", "referencedOutputs", "runId", "schema"]);
        body["runId"]!.GetValue<Guid>().ShouldBe(command.RunId);
        body["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        body["attempt"]!.GetValue<int>().ShouldBe(1);
        body["instructions"]!.GetValue<string>().ShouldBe(command.Instructions);
        JsonNode.DeepEquals(body["inputs"], command.Inputs).ShouldBeTrue();
        JsonNode.DeepEquals(body["schema"], command.ArtifactSchema).ShouldBeTrue();
    }

    [Fact]
    public async Task Passes_the_model_seed_in_the_body_as_seed()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"x","steps":[]}""");
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(
            executor: "http",
            settings: new JsonObject { ["url"] = server.BaseAddress.ToString() },
            model: new JsonObject { ["name"] = "mock", ["seed"] = 42 });

        await services.Executor("http").ExecuteAsync(command, CancellationToken.None);

        JsonNode.Parse(server.Requests.ShouldHaveSingleItem().Body)!["seed"]!.GetValue<long>().ShouldBe(42);
    }

    [Fact]
    public async Task The_same_execution_sends_the_same_idempotency_key_again()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"x","steps":[]}""");
        await using var services = WorkerServices.Build();
        var command = Command(server.BaseAddress.ToString());

        await services.Executor("http").ExecuteAsync(command, CancellationToken.None);
        await services.Executor("http").ExecuteAsync(command, CancellationToken.None);

        server.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().ShouldHaveSingleItem().ShouldBe(command.ExecutionId.ToString("D"));
    }

    [Fact]
    public async Task Uses_the_configured_default_url_without_settings_url()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"x","steps":[]}""");
        await using var services = WorkerServices.Build(options => options.Http.DefaultUrl = new Uri(server.BaseAddress, "/default").ToString());

        await services.Executor("http").ExecuteAsync(Commands.Execute(executor: "http"), CancellationToken.None);

        server.Requests.ShouldHaveSingleItem().PathAndQuery.ShouldBe("/default");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(302)]
    public async Task Non_success_answers_are_executor_errors(int status)
    {
        await using var server = await FakeServer.AnsweringAsync(status, """{"title":"x","steps":[]}""");
        await using var services = WorkerServices.Build();

        var error = await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("http").ExecuteAsync(Command(server.BaseAddress.ToString()), CancellationToken.None));

        error.Message.ShouldContain(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    public async Task A_body_that_is_not_json_is_an_executor_error(string body)
    {
        await using var server = await FakeServer.AnsweringAsync(200, body);
        await using var services = WorkerServices.Build();

        await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("http").ExecuteAsync(Command(server.BaseAddress.ToString()), CancellationToken.None));
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1/artifact")]
    [InlineData("/relative/path")]
    [InlineData("gopher://127.0.0.1:70/")]
    public async Task Refuses_urls_that_are_not_http_or_https(string url)
    {
        await using var services = WorkerServices.Build();

        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("http").ExecuteAsync(Command(url), CancellationToken.None));

        error.Message.ShouldContain("http or https");
    }

    [Fact]
    public async Task Without_any_url_it_is_an_executor_error()
    {
        await using var services = WorkerServices.Build();

        var error = await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("http").ExecuteAsync(Commands.Execute(executor: "http"), CancellationToken.None));

        error.Message.ShouldContain("settings.url");
    }

    private static ExecutePhase Command(string url) =>
        Commands.Execute(executor: "http", settings: new JsonObject { ["url"] = url });
}
