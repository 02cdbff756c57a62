using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.PhaseWorker.Execution;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Tests.Infrastructure;

namespace RunMesh.PhaseWorker.Tests.Execution;

public sealed class PhaseExecutionTests
{
    [Fact]
    public async Task Valid_artifact_succeeds_with_its_digest_usage_timings_and_worker()
    {
        await using var services = WorkerServices.Build(options => options.WorkerId = "worker-a");
        var command = Commands.Execute();

        var outcome = await Run(services, command);

        var succeeded = outcome.Succeeded.ShouldNotBeNull();
        succeeded.ExecutionId.ShouldBe(command.ExecutionId);
        succeeded.ArtifactDigest.ShouldBe(Digest.Of(succeeded.Artifact));
        succeeded.Usage.InputTokens.ShouldBeGreaterThan(0);
        succeeded.EndedAt.ShouldBeGreaterThanOrEqualTo(succeeded.StartedAt);
        succeeded.WorkerId.ShouldBe("worker-a");
    }

    [Fact]
    public async Task Invalid_artifact_fails_with_the_errors_and_keeps_the_artifact()
    {
        await using var services = WorkerServices.Build();

        var outcome = await Run(services, Commands.Execute(settings: new JsonObject { ["invalidAttempts"] = 1 }));

        var failed = outcome.Failed.ShouldNotBeNull();
        failed.Kind.ShouldBe(FailureKind.InvalidArtifact);
        failed.Errors.ShouldContain(error => error.Contains("title", StringComparison.Ordinal));
        failed.Artifact.ShouldNotBeNull();
        failed.Usage.OutputTokens.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Oversized_artifact_is_invalid_and_not_kept()
    {
        await using var services = WorkerServices.Build(options => options.MaxArtifactBytes = 1024);
        var command = Commands.Execute(schema: Commands.Schema("""{"type":"string","minLength":2000}"""));

        var failed = (await Run(services, command)).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.InvalidArtifact);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("over the limit of 1024 bytes");
        failed.Artifact.ShouldBeNull();
    }

    [Fact]
    public async Task Executor_running_past_the_timeout_is_reported_as_timeout()
    {
        await using var services = WorkerServices.Build();
        var clock = Stopwatch.StartNew();

        var failed = (await Run(services, Commands.Execute(settings: new JsonObject { ["latencyMs"] = 30_000 }, timeoutSeconds: 1))).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.Timeout);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public async Task Missing_or_huge_timeouts_still_run_the_executor(int timeoutSeconds)
    {
        await using var services = WorkerServices.Build();

        (await Run(services, Commands.Execute(timeoutSeconds: timeoutSeconds))).Succeeded.ShouldNotBeNull();
    }

    [Fact]
    public async Task Executor_error_is_reported_with_its_message()
    {
        await using var services = WorkerServices.Build();

        var failed = (await Run(services, Commands.Execute(settings: new JsonObject { ["failAttempts"] = 1 }))).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.ExecutorError);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("simulated executor failure on attempt 1");
    }

    [Fact]
    public async Task Unexpected_exception_becomes_a_safe_executor_error()
    {
        await using var services = WorkerServices.Build(extra: s => s.AddSingleton<IPhaseExecutor, LeakyExecutor>());

        var failed = (await Run(services, Commands.Execute(executor: "leaky"))).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.ExecutorError);
        failed.Errors.ShouldHaveSingleItem().ShouldBe("the leaky executor failed unexpectedly (InvalidOperationException)");
    }

    [Fact]
    public async Task Unknown_executor_is_an_executor_error()
    {
        await using var services = WorkerServices.Build();

        var failed = (await Run(services, Commands.Execute(executor: "nope"))).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.ExecutorError);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("unknown executor 'nope'");
    }

    [Fact]
    public async Task Schema_with_a_remote_reference_is_refused_before_the_executor_runs()
    {
        await using var server = await FakeServer.AnsweringAsync(200, "{}");
        await using var services = WorkerServices.Build();
        var schema = Commands.Schema($$"""{"$ref":"{{server.BaseAddress}}schema.json"}""");

        var failed = (await Run(services, Commands.Execute(schema: schema))).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.ExecutorError);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("only local references");
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Artifact_that_makes_a_pattern_backtrack_is_invalid_quickly_naming_the_pattern()
    {
        await using var services = WorkerServices.Build(extra: s => s.AddSingleton<IPhaseExecutor, BacktrackingBaitExecutor>());
        var schema = Commands.Schema("""{"type":"object","properties":{"title":{"type":"string","pattern":"^(a+)+$"}}}""");
        var clock = Stopwatch.StartNew();

        var failed = (await Run(services, Commands.Execute(executor: "bait", schema: schema))).Failed.ShouldNotBeNull();

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
        failed.Kind.ShouldBe(FailureKind.InvalidArtifact);
        failed.Errors.ShouldBe(["$.title: pattern \"^(a+)+$\" took too long to evaluate"]);
        failed.Artifact.ShouldNotBeNull();
    }

    [Fact]
    public async Task Schema_with_a_differently_cased_remote_reference_is_refused_and_nothing_is_fetched()
    {
        await using var server = await FakeServer.AnsweringAsync(200, "{}");
        await using var services = WorkerServices.Build();
        var schema = Commands.Schema("""{"type":"object","properties":{"title":{"$REF":""" + $"\"{server.BaseAddress}schema.json\"" + "}}}");

        var failed = (await Run(services, Commands.Execute(schema: schema))).Failed.ShouldNotBeNull();

        failed.Kind.ShouldBe(FailureKind.ExecutorError);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("only local references");
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task CancelPhase_aborts_a_running_execution_and_nothing_is_reported()
    {
        await using var services = WorkerServices.Build();
        var running = services.GetRequiredService<RunningExecutions>();
        var command = Commands.Execute(settings: new JsonObject { ["latencyMs"] = 60_000 }, timeoutSeconds: 120);

        var execution = Run(services, command);
        await Eventually.UntilAsync(() => Task.FromResult(running.Count == 1), TimeSpan.FromSeconds(10), "the execution to start");
        var clock = Stopwatch.StartNew();
        running.Cancel(command.ExecutionId).ShouldBeTrue();
        var outcome = await execution;

        outcome.IsCancelled.ShouldBeTrue();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        running.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Execution_cancelled_before_it_starts_is_not_executed()
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(settings: new JsonObject { ["failAttempts"] = 1 });
        services.GetRequiredService<RunningExecutions>().Cancel(command.ExecutionId).ShouldBeFalse();

        (await Run(services, command)).IsCancelled.ShouldBeTrue();
    }

    [Fact]
    public async Task Worker_stopping_abandons_the_execution_so_it_is_delivered_again()
    {
        await using var services = WorkerServices.Build();
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() =>
            services.GetRequiredService<PhaseExecution>().RunAsync(Commands.Execute(settings: new JsonObject { ["latencyMs"] = 60_000 }), stopping.Token));
    }

    private static Task<ExecutionOutcome> Run(IServiceProvider services, ExecutePhase command) =>
        services.GetRequiredService<PhaseExecution>().RunAsync(command, CancellationToken.None);

    /// <summary>Produces a title on which <c>^(a+)+$</c> backtracks exponentially.</summary>
    private sealed class BacktrackingBaitExecutor : IPhaseExecutor
    {
        public string Name => "bait";

        public Task<ExecutorResult> ExecuteAsync(ExecutePhase command, CancellationToken cancellationToken) =>
            Task.FromResult(new ExecutorResult(new JsonObject { ["title"] = new string('a', 40) + "!" }, new Usage()));
    }

    private sealed class LeakyExecutor : IPhaseExecutor
    {
        public string Name => "leaky";

        public Task<ExecutorResult> ExecuteAsync(ExecutePhase command, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("connection string Password=hunter2 at Some.Stack.Frame()");
    }
}
