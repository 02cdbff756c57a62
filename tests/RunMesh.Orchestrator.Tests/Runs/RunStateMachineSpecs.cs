using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs;

namespace RunMesh.Orchestrator.Tests.Runs;

// Specifications of the run lifecycle (docs/run-lifecycle.md), on MassTransit's in-memory harness.

public sealed class When_a_run_is_admitted : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_dispatch_the_first_phase_with_rendered_instructions_and_a_deadline()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review"));

        var dispatch = await _h.DispatchAsync(runId, 1);
        var run = await _h.WaitForStateAsync(runId, _h.Machine.Running);

        dispatch.PhaseKey.ShouldBe("spec");
        dispatch.Attempt.ShouldBe(1);
        dispatch.Instructions.ShouldBe("Do spec for dark mode");
        run.StartedAt.ShouldNotBeNull();
        _h.Journal.Deadline(runId, DeadlineKind.Attempt)!.ExecutionId.ShouldBe(dispatch.ExecutionId);
        _h.Journal.Deadline(runId, DeadlineKind.Run).ShouldNotBeNull();
        _h.Journal.EventTypes(runId).ShouldBe([RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.PhaseDispatched]);
    }
}

public sealed class When_every_phase_succeeds : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_complete_and_publish_run_finished_with_every_attempt()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review"));
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1));
        var review = await _h.DispatchAsync(runId, 2);
        await _h.SucceedAsync(review);

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Completed);
        var finished = (await _h.PublishedAsync<RunFinished>(m => m.RunId == runId)).Single();

        review.PhaseKey.ShouldBe("review");
        finished.State.ShouldBe(RunState.Completed);
        finished.Generation.ShouldBe(1);
        finished.Phases.Select(p => p.State).ShouldBe([PhaseState.Completed, PhaseState.Completed]);
        finished.Phases.SelectMany(p => p.Attempts).ShouldAllBe(a => a.Outcome == AttemptOutcome.Succeeded);
        finished.TotalUsage.CostUsd.ShouldBe(0.02m);
        finished.LastEvents[^1].Type.ShouldBe(RunEventTypes.RunCompleted);
        finished.ApprovalGates.ShouldBe(0, "no phase has a gate: the approval service has nothing to close");
        run.Error.ShouldBeNull();
        _h.Journal.Deadline(runId, DeadlineKind.Run).ShouldBeNull();
        _h.Journal.Artifacts(runId).Count(a => a.Accepted).ShouldBe(2);
    }

    [Fact]
    public async Task Should_number_events_without_gaps()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1));
        await _h.WaitForStateAsync(runId, _h.Machine.Completed);

        _h.Journal.Events(runId).Select(e => e.Seq).ShouldBe([1, 2, 3, 4, 5]);
        _h.Journal.Events(runId).Select(e => e.IdempotencyKey).ShouldBeUnique();
    }

    [Fact]
    public async Task Should_pass_earlier_artifacts_to_later_phases_that_reference_them()
    {
        var review = RunSagaHarness.Phase("review") with { Instructions = "Review {{phases.spec.output.title}}" };
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), review);
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1), new JsonObject { ["title"] = "Dark mode spec" });

        var dispatch = await _h.DispatchAsync(runId, 2);

        dispatch.Instructions.ShouldBe("Review Dark mode spec");
        dispatch.ReferencedOutputs.ContainsKey("spec").ShouldBeTrue();
    }
}

public sealed class When_an_artifact_is_invalid : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_send_a_repair_attempt_with_the_validation_errors_at_once()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        await _h.FailAsync(await _h.DispatchAsync(runId, 1), FailureKind.InvalidArtifact, "#/title: PropertyRequired");

        var repair = await _h.DispatchAsync(runId, 2);

        repair.Attempt.ShouldBe(2);
        repair.RepairFeedback.ShouldBe(["#/title: PropertyRequired"]);
        _h.Journal.Artifacts(runId).ShouldContain(a => a.Attempt == 1 && !a.Accepted);
    }

    [Fact]
    public async Task Should_fail_when_the_repair_is_invalid_too()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        await _h.FailAsync(await _h.DispatchAsync(runId, 1), FailureKind.InvalidArtifact, "bad");
        await _h.FailAsync(await _h.DispatchAsync(runId, 2), FailureKind.InvalidArtifact, "still bad");

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Failed);

        run.Error!.Code.ShouldBe(ErrorCodes.ArtifactInvalidAfterRepair);
        run.Error.PhaseKey.ShouldBe("spec");
    }

    [Fact]
    public async Task Should_say_in_the_runs_error_what_was_wrong_with_the_last_artifact()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        await _h.FailAsync(await _h.DispatchAsync(runId, 1), FailureKind.InvalidArtifact, "$.title: required property missing");
        await _h.FailAsync(await _h.DispatchAsync(runId, 2), FailureKind.InvalidArtifact,
            "$.steps: must be an array, got a string", "$.title: must be a string, got a number");

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Failed);
        var finished = (await _h.PublishedAsync<RunFinished>(m => m.RunId == runId)).Single();

        const string expected = "Phase 'spec' produced an invalid artifact after 1 repair attempt(s); the last one (attempt 2): "
            + "$.steps: must be an array, got a string; $.title: must be a string, got a number.";
        run.Error!.Message.ShouldBe(expected);
        finished.Error!.Message.ShouldBe(expected);
    }
}

public sealed class When_an_executor_fails : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_schedule_a_retry_after_the_backoff_and_dispatch_it_when_due()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        await _h.FailAsync(await _h.DispatchAsync(runId, 1), FailureKind.ExecutorError, "429");
        await _h.EventAsync(runId, RunEventTypes.PhaseRetryScheduled);

        var backoff = _h.Journal.Deadline(runId, DeadlineKind.Backoff)!;
        backoff.Attempt.ShouldBe(2);
        await _h.Harness.Bus.Publish(new RetryBackoffElapsed { RunId = runId, PhaseKey = "spec", Attempt = 2 });

        (await _h.DispatchAsync(runId, 2)).Attempt.ShouldBe(2);
    }

    [Fact]
    public async Task Should_fail_with_executor_error_when_the_attempts_are_used_up()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec", maxAttempts: 2));
        await _h.FailAsync(await _h.DispatchAsync(runId, 1), FailureKind.ExecutorError, "boom");
        await _h.EventAsync(runId, RunEventTypes.PhaseRetryScheduled);
        await _h.Harness.Bus.Publish(new RetryBackoffElapsed { RunId = runId, PhaseKey = "spec", Attempt = 2 });
        await _h.FailAsync(await _h.DispatchAsync(runId, 2), FailureKind.Timeout, "slow");

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Failed);

        run.Error!.Code.ShouldBe(ErrorCodes.PhaseTimeout);
    }

    [Fact]
    public async Task Should_treat_a_lost_worker_as_a_timeout_and_tell_workers_to_stop()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        var dispatch = await _h.DispatchAsync(runId, 1);

        await _h.Harness.Bus.Publish(new PhaseTimedOut { RunId = runId, PhaseKey = "spec", Attempt = 1, ExecutionId = dispatch.ExecutionId });

        await _h.PublishedAsync<CancelPhase>(m => m.ExecutionId == dispatch.ExecutionId);
        await _h.EventAsync(runId, RunEventTypes.PhaseRetryScheduled);
        _h.Record(runId)!.Phases[0].Attempts[0].Outcome.ShouldBe(AttemptOutcome.Timeout);
    }
}

public sealed class When_a_message_is_stale_or_duplicated : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_record_a_result_for_another_execution_and_ignore_it()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review"));
        var dispatch = await _h.DispatchAsync(runId, 1);

        await _h.SucceedAsync(dispatch with { ExecutionId = Guid.NewGuid() });
        await _h.EventAsync(runId, RunEventTypes.MessageIgnored);

        var run = _h.Record(runId)!;
        run.Phases[0].OpenAttempt.ShouldNotBeNull();
        (await _h.DispatchesAsync(runId, 1)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Should_apply_a_result_once_when_it_arrives_twice()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review"));
        var dispatch = await _h.DispatchAsync(runId, 1);

        await _h.SucceedAsync(dispatch);
        await _h.DispatchAsync(runId, 2);
        await _h.SucceedAsync(dispatch);
        await _h.EventAsync(runId, RunEventTypes.MessageIgnored);

        _h.Journal.EventTypes(runId).Count(t => t == RunEventTypes.PhaseSucceeded).ShouldBe(1);
        _h.Record(runId)!.Usage.CostUsd.ShouldBe(0.01m);
    }

    [Fact]
    public async Task Should_reject_an_artifact_whose_digest_does_not_match()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        var dispatch = await _h.DispatchAsync(runId, 1);

        await _h.Harness.Bus.Publish(new PhaseSucceeded
        {
            RunId = runId,
            PhaseKey = "spec",
            Attempt = 1,
            ExecutionId = dispatch.ExecutionId,
            Artifact = new JsonObject { ["title"] = "x" },
            ArtifactDigest = "sha256:" + new string('0', 64),
            StartedAt = DateTimeOffset.UtcNow,
            EndedAt = DateTimeOffset.UtcNow,
        });
        await _h.EventAsync(runId, RunEventTypes.PhaseAttemptFailed);

        _h.Record(runId)!.Phases[0].Attempts[0].Outcome.ShouldBe(AttemptOutcome.ExecutorError);
    }
}

public sealed class When_a_phase_has_a_gate : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<(Guid RunId, ApprovalRequested Request)> WaitAtGateAsync()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec", gates: new GatePlan("spec-approval")), RunSagaHarness.Phase("review"));
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1));
        await _h.WaitForStateAsync(runId, _h.Machine.AwaitingApproval);
        var request = (await _h.PublishedAsync<ApprovalRequested>(m => m.RunId == runId)).Single();
        return (runId, request);
    }

    private Task DecideAsync(ApprovalRequested request, ApprovalAction action, int? attempt = null, string? artifactDigest = null) =>
        _h.Harness.Bus.Publish(new ApprovalDecided
        {
            RequestId = request.RequestId,
            RunId = request.RunId,
            PhaseKey = request.PhaseKey,
            Attempt = attempt ?? request.Attempt,
            Gate = request.Gate,
            ArtifactDigest = artifactDigest ?? request.ArtifactDigest,
            Action = action,
            DecidedBy = "ana",
            DecidedAt = DateTimeOffset.UtcNow,
        });

    [Fact]
    public async Task Should_wait_for_approval_with_an_idempotency_key_per_attempt_and_gate()
    {
        var (runId, request) = await WaitAtGateAsync();

        request.IdempotencyKey.ShouldBe($"{runId}:spec:1:spec-approval");
        request.Generation.ShouldBe(1);
        (await _h.DispatchesAsync(runId, 1)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Should_continue_when_approved()
    {
        var (runId, request) = await WaitAtGateAsync();

        await DecideAsync(request, ApprovalAction.Approve);

        (await _h.DispatchAsync(runId, 2)).PhaseKey.ShouldBe("review");
    }

    [Theory]
    [InlineData(ApprovalAction.Reject, ErrorCodes.ApprovalRejected)]
    [InlineData(ApprovalAction.Expire, ErrorCodes.ApprovalExpired)]
    public async Task Should_fail_when_rejected_or_expired(ApprovalAction action, string code)
    {
        var (runId, request) = await WaitAtGateAsync();

        await DecideAsync(request, action);

        (await _h.WaitForStateAsync(runId, _h.Machine.Failed)).Error!.Code.ShouldBe(code);
        // The approval service must not skip this run's ending: it has a gate.
        (await _h.PublishedAsync<RunFinished>(m => m.RunId == runId)).Single().ApprovalGates.ShouldBe(1);
    }

    [Fact]
    public async Task Should_abort_when_aborted()
    {
        var (runId, request) = await WaitAtGateAsync();

        await DecideAsync(request, ApprovalAction.Abort);

        (await _h.WaitForStateAsync(runId, _h.Machine.Aborted)).Error!.Code.ShouldBe(ErrorCodes.ApprovalAborted);
    }

    [Fact]
    public async Task Should_ignore_a_decision_for_another_attempt()
    {
        var (runId, request) = await WaitAtGateAsync();

        await DecideAsync(request, ApprovalAction.Approve, attempt: 7);
        await _h.EventAsync(runId, RunEventTypes.MessageIgnored);

        _h.Record(runId)!.CurrentState.ShouldBe(_h.Machine.AwaitingApproval.Name);
    }

    [Fact]
    public async Task Should_record_and_ignore_a_decision_for_another_artifact_digest()
    {
        var (runId, request) = await WaitAtGateAsync();
        var otherDigest = "sha256:" + new string('f', 64);
        otherDigest.ShouldNotBe(request.ArtifactDigest);

        await DecideAsync(request, ApprovalAction.Approve, artifactDigest: otherDigest);
        await _h.EventAsync(runId, RunEventTypes.MessageIgnored);

        var ignored = _h.Journal.Events(runId).Single(e => e.Type == RunEventTypes.MessageIgnored).Payload;
        ignored["messageType"]!.GetValue<string>().ShouldBe(nameof(ApprovalDecided));
        ignored["reason"]!.GetValue<string>().ShouldBe("not the approval the run waits on");
        ignored["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        ignored["attempt"]!.GetValue<int>().ShouldBe(request.Attempt);
        ignored["requestId"]!.GetValue<string>().ShouldBe(request.RequestId.ToString());
        ignored["action"]!.GetValue<string>().ShouldBe("approve");
        ignored["decidedBy"]!.GetValue<string>().ShouldBe("ana");
        ignored["artifactDigest"]!.GetValue<string>().ShouldBe(otherDigest);
        _h.Journal.EventTypes(runId).ShouldNotContain(RunEventTypes.ApprovalDecided);
        var run = _h.Record(runId)!;
        run.CurrentState.ShouldBe(_h.Machine.AwaitingApproval.Name);
        run.Approval.ShouldNotBeNull("the run still waits on its own request");
        (await _h.DispatchesAsync(runId, 1)).Count.ShouldBe(1, "the phase after the gate was not dispatched");

        // The decision on the digest it waits on still applies afterwards.
        await DecideAsync(request, ApprovalAction.Approve);

        (await _h.DispatchAsync(runId, 2)).PhaseKey.ShouldBe("review");
    }
}

public sealed class When_a_run_is_cancelled_or_over_budget : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_cancel_and_stop_the_running_executor()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        var dispatch = await _h.DispatchAsync(runId, 1);

        await _h.Harness.Bus.Publish(new CancelRun { RunId = runId, Reason = "changed my mind", RequestedBy = "ana" });

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Cancelled);
        await _h.PublishedAsync<CancelPhase>(m => m.ExecutionId == dispatch.ExecutionId);
        run.Error!.Message.ShouldBe("changed my mind");
        (await _h.PublishedAsync<RunFinished>(m => m.RunId == runId)).Single().State.ShouldBe(RunState.Cancelled);
    }

    [Fact]
    public async Task Should_ignore_a_late_result_after_cancel()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"));
        var dispatch = await _h.DispatchAsync(runId, 1);
        await _h.Harness.Bus.Publish(new CancelRun { RunId = runId });
        await _h.WaitForStateAsync(runId, _h.Machine.Cancelled);

        await _h.SucceedAsync(dispatch);
        await _h.EventAsync(runId, RunEventTypes.MessageIgnored);

        _h.Record(runId)!.CurrentState.ShouldBe(_h.Machine.Cancelled.Name);
    }

    [Fact]
    public async Task Should_fail_with_budget_exceeded_once_the_cost_passes_the_budget()
    {
        var runId = await _h.AdmitAsync(new Budget { MaxCostUsd = 0.015m }, RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review"));
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1), usage: new Usage { CostUsd = 0.02m });

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Failed);

        run.Error!.Code.ShouldBe(ErrorCodes.BudgetExceeded);
        (await _h.DispatchesAsync(runId, 1)).Count.ShouldBe(1);
    }
}

public sealed class When_a_failed_run_is_retried : IAsyncLifetime
{
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_continue_from_the_failed_phase_with_attempt_numbers_counting_on()
    {
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review", repairAttempts: 0));
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1));
        await _h.FailAsync(await _h.DispatchAsync(runId, 2), FailureKind.InvalidArtifact, "bad");
        await _h.WaitForStateAsync(runId, _h.Machine.Failed);

        await _h.Harness.Bus.Publish(new RetryRun { RunId = runId, RequestedBy = "ana" });
        var retry = await _h.DispatchAsync(runId, 3);
        await _h.SucceedAsync(retry);

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Completed);
        retry.PhaseKey.ShouldBe("review");
        retry.Attempt.ShouldBe(2);
        run.Generation.ShouldBe(2);
        (await _h.PublishedAsync<RunFinished>(m => m.RunId == runId, 2)).Select(f => f.Generation).ShouldBe([1, 2]);
        _h.Journal.EventTypes(runId).ShouldContain(RunEventTypes.RunRetried);
        (await _h.DispatchesAsync(runId, 3)).Count(d => d.PhaseKey == "spec").ShouldBe(1);
    }
}

public sealed class When_a_phase_renders_instructions_over_the_limit : IAsyncLifetime
{
    private const int Limit = 2_048;
    private RunSagaHarness _h = null!;

    public async Task InitializeAsync() => _h = await RunSagaHarness.StartAsync(o => o.MaxRenderedInstructionsBytes = Limit);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Should_fail_the_run_with_instructions_too_large_and_send_nothing_for_that_phase()
    {
        // Each reference repeats the earlier artifact: 3 × ~1 KB renders past the 2 KiB limit.
        var review = RunSagaHarness.Phase("review") with { Instructions = "{{phases.spec.output}} {{phases.spec.output}} {{phases.spec.output}}" };
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), review);
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1), new JsonObject { ["title"] = new string('t', 1_000) });

        var run = await _h.WaitForStateAsync(runId, _h.Machine.Failed);

        run.Error!.Code.ShouldBe(ErrorCodes.InstructionsTooLarge);
        run.Error.PhaseKey.ShouldBe("review");
        run.Error.Message.ShouldContain("phase \"review\"");
        run.Error.Message.ShouldContain($"over the limit of {Limit} bytes");
        _h.Dispatched(runId).ShouldHaveSingleItem().PhaseKey.ShouldBe("spec");
        await _h.EventAsync(runId, RunEventTypes.RunFailed);
    }

    [Fact]
    public async Task Should_dispatch_instructions_at_the_limit()
    {
        var review = RunSagaHarness.Phase("review") with { Instructions = "{{phases.spec.output.title}}" };
        var runId = await _h.AdmitAsync(null, RunSagaHarness.Phase("spec"), review);
        await _h.SucceedAsync(await _h.DispatchAsync(runId, 1), new JsonObject { ["title"] = new string('t', Limit) });

        var dispatch = await _h.DispatchAsync(runId, 2);

        dispatch.Instructions.Length.ShouldBe(Limit);
    }
}
