using System.Diagnostics;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.PhaseWorker.Execution;
using RunMesh.PhaseWorker.Tests.Infrastructure;

namespace RunMesh.PhaseWorker.Tests.Integration;

/// <summary>The built worker as a process, on real RabbitMQ, driven only through messages.</summary>
public sealed class PhaseWorkerProcessTests(WorkerProcessFixture fixture) : IClassFixture<WorkerProcessFixture>
{
    [Fact]
    public async Task Valid_mock_phase_publishes_PhaseSucceeded_with_a_verifiable_digest_and_a_derived_MessageId()
    {
        var command = Commands.Execute(settings: new JsonObject { ["latencyMs"] = 20, ["seed"] = "integration" });

        await fixture.Bus.Publish(command);

        var result = (await WaitForAsync(command.ExecutionId)).ShouldHaveSingleItem();
        var succeeded = result.Succeeded.ShouldNotBeNull();
        result.MessageId.ShouldBe(DeterministicGuid.ForSucceeded(command.ExecutionId));
        succeeded.RunId.ShouldBe(command.RunId);
        succeeded.PhaseKey.ShouldBe("spec");
        succeeded.Attempt.ShouldBe(1);
        succeeded.ArtifactDigest.ShouldBe(Digest.Of(succeeded.Artifact));
        succeeded.Artifact["title"].ShouldNotBeNull();
        succeeded.Usage.InputTokens.ShouldBe((command.Instructions.Length + 3) / 4);
        succeeded.Usage.CostUsd.ShouldBeGreaterThan(0);
        succeeded.EndedAt.ShouldBeGreaterThanOrEqualTo(succeeded.StartedAt);
        succeeded.WorkerId.ShouldBe(WorkerProcessFixture.WorkerId);
    }

    [Fact]
    public async Task Invalid_first_attempt_fails_with_invalid_artifact_and_the_repair_attempt_succeeds()
    {
        var settings = new JsonObject { ["invalidAttempts"] = 1 };
        var first = Commands.Execute(settings: settings);

        await fixture.Bus.Publish(first);
        var failedResult = (await WaitForAsync(first.ExecutionId)).ShouldHaveSingleItem();
        var failed = failedResult.Failed.ShouldNotBeNull();
        failed.Kind.ShouldBe(FailureKind.InvalidArtifact);
        failed.Errors.ShouldNotBeEmpty();
        failed.Artifact.ShouldNotBeNull();
        failedResult.MessageId.ShouldBe(DeterministicGuid.ForFailed(first.ExecutionId));

        var repair = first with { Attempt = 2, ExecutionId = Guid.NewGuid(), ExecutorSettings = (JsonObject)settings.DeepClone(), RepairFeedback = failed.Errors };
        await fixture.Bus.Publish(repair);

        var succeeded = (await WaitForAsync(repair.ExecutionId)).ShouldHaveSingleItem().Succeeded.ShouldNotBeNull();
        succeeded.Attempt.ShouldBe(2);
        succeeded.RunId.ShouldBe(first.RunId);
    }

    [Fact]
    public async Task Executor_failure_is_reported_as_executor_error()
    {
        var command = Commands.Execute(settings: new JsonObject { ["failAttempts"] = 1 });

        await fixture.Bus.Publish(command);

        var failed = (await WaitForAsync(command.ExecutionId)).ShouldHaveSingleItem().Failed.ShouldNotBeNull();
        failed.Kind.ShouldBe(FailureKind.ExecutorError);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("simulated executor failure");
    }

    [Fact]
    public async Task Latency_beyond_the_timeout_is_reported_as_timeout()
    {
        var command = Commands.Execute(settings: new JsonObject { ["latencyMs"] = 30_000 }, timeoutSeconds: 1);
        var clock = Stopwatch.StartNew();

        await fixture.Bus.Publish(command);

        var failed = (await WaitForAsync(command.ExecutionId)).ShouldHaveSingleItem().Failed.ShouldNotBeNull();
        failed.Kind.ShouldBe(FailureKind.Timeout);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15));
        (failed.EndedAt - failed.StartedAt).ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Same_command_delivered_twice_gives_two_results_with_the_same_MessageId()
    {
        var command = Commands.Execute();

        await fixture.Bus.Publish(command);
        await fixture.Bus.Publish(command);

        var results = await WaitForAsync(command.ExecutionId, count: 2);
        results.Count.ShouldBe(2);
        results.Select(result => result.MessageId).Distinct().ShouldHaveSingleItem().ShouldBe(DeterministicGuid.ForSucceeded(command.ExecutionId));
        results[0].Succeeded!.ArtifactDigest.ShouldBe(results[1].Succeeded!.ArtifactDigest);
    }

    [Fact]
    public async Task CancelPhase_stops_a_long_execution_quickly_and_no_result_is_published()
    {
        var command = Commands.Execute(settings: new JsonObject { ["latencyMs"] = 60_000 }, timeoutSeconds: 120);
        await fixture.Bus.Publish(command);
        await Eventually.UntilAsync(
            () => Task.FromResult(fixture.Worker.LogContains($"Executing {command.ExecutionId}")),
            TimeSpan.FromSeconds(30), "the worker to start the execution", () => fixture.Worker.LogTail());

        var clock = Stopwatch.StartNew();
        await fixture.Bus.Publish(new CancelPhase { RunId = command.RunId, ExecutionId = command.ExecutionId });
        await Eventually.UntilAsync(
            () => Task.FromResult(fixture.Worker.LogContains($"Execution {command.ExecutionId} of run {command.RunId} cancelled")),
            TimeSpan.FromSeconds(10), "the execution to be cancelled", () => fixture.Worker.LogTail());
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));

        // The consumer has returned without publishing; a later command's result proves the results keep flowing.
        var next = Commands.Execute();
        await fixture.Bus.Publish(next);
        await WaitForAsync(next.ExecutionId);
        fixture.Results.For(command.ExecutionId).ShouldBeEmpty();
        // The broker's statistics lag a few seconds behind the acknowledgement.
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("phase-worker") == 0,
            TimeSpan.FromSeconds(30), "the cancelled command to be acknowledged");
    }

    [Fact]
    public async Task Executes_up_to_ConcurrentExecutions_phases_at_once()
    {
        var commands = Enumerable.Range(0, 4).Select(_ => Commands.Execute(settings: new JsonObject { ["latencyMs"] = 3000 })).ToList();

        await Task.WhenAll(commands.Select(command => fixture.Bus.Publish(command)));

        var results = new List<PhaseSucceeded>();
        foreach (var command in commands)
        {
            results.Add((await WaitForAsync(command.ExecutionId)).ShouldHaveSingleItem().Succeeded.ShouldNotBeNull());
        }

        // All four ran side by side: the last one started before the first one ended.
        results.Max(result => result.StartedAt).ShouldBeLessThan(results.Min(result => result.EndedAt));
    }

    [Fact]
    public async Task Worker_prefetches_no_more_than_it_executes()
    {
        // The management API lists consumers a moment after they subscribe.
        var phaseWorker = await Eventually.UntilAsync(
            async () => (await WorkerProcessFixture.ManagementGetAsync($"api/consumers/{Uri.EscapeDataString(fixture.Broker.Name)}"))
                .AsArray()
                .FirstOrDefault(consumer => consumer!["queue"]!["name"]!.GetValue<string>() == "phase-worker"),
            consumer => consumer is not null,
            TimeSpan.FromSeconds(30),
            "the phase-worker consumer in the management API");

        phaseWorker!["prefetch_count"]!.GetValue<int>().ShouldBe(4);
    }

    [Fact]
    public async Task Each_worker_instance_has_its_own_cancel_queue()
    {
        var queue = CancelPhaseConsumerDefinition.InstanceQueueName(Environment.MachineName, fixture.Worker.ProcessId!.Value);

        var details = await WorkerProcessFixture.ManagementGetAsync($"api/queues/{Uri.EscapeDataString(fixture.Broker.Name)}/{Uri.EscapeDataString(queue)}");

        // Temporary: not durable, and exclusive to the worker's connection, so it disappears with the worker.
        details["durable"]!.GetValue<bool>().ShouldBeFalse(details.ToJsonString());
        details["exclusive"]!.GetValue<bool>().ShouldBeTrue(details.ToJsonString());
    }

    private Task<IReadOnlyList<ReceivedResult>> WaitForAsync(Guid executionId, int count = 1) =>
        fixture.Results.WaitForAsync(executionId, count, diagnostics: () => fixture.Worker.LogTail());
}
