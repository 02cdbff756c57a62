using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Lifecycle;
using static RunMesh.Orchestrator.Tests.Runs.Lifecycle.RunDeciderFixtures;

namespace RunMesh.Orchestrator.Tests.Runs.Lifecycle;

/// <summary>
/// Every rule of DESIGN.md's run lifecycle as a decision of <see cref="RunDecider"/> alone: a run brought to a point of
/// its lifecycle, one input, and what the decider decides — the outcome, the state it leads to, the events appended.
/// Every decision is also one <see cref="RunTransitions"/> lists for the input and state (the diagram's source).
/// </summary>
public sealed class RunDeciderTests
{
    /// <summary>A rule: arrange a run and the input, then the decision it must get.</summary>
    private sealed record Rule(Func<(RunRecord Run, object Message, bool InputBundleHeld)> Arrange, RunState To, RunOutcome? Outcome, string[] Events);

    private static readonly OrchestratorOptions s_smallInstructions = new() { MaxRenderedInstructionsBytes = 8 };

    private static (RunRecord, object, bool) With(RunRecord run, Func<RunRecord, object> message, bool held = true) => (run, message(run), held);

    private static readonly Dictionary<string, Rule> s_moves = new()
    {
        ["admission dispatches the first phase"] = new(() => With(Pending(), StartOf),
            RunState.Running, RunOutcome.PhaseDispatched, [RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.PhaseDispatched]),
        ["admission over budget fails the run"] = new(() => With(Pending(new Budget { MaxCostUsd = -1m }), StartOf),
            RunState.Failed, RunOutcome.BudgetExceeded, [RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.RunFailed]),
        ["admission with instructions that reference a missing output fails the run"] = new(
            () => With(Pending(null, RunSagaHarness.Phase("spec") with { Instructions = "{{phases.spec.output.title}}" }), StartOf),
            RunState.Failed, RunOutcome.InstructionsUnrenderable, [RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.RunFailed]),
        ["an accepted phase dispatches the next"] = new(() => With(Running(RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review")), r => Succeeded(r)),
            RunState.Running, RunOutcome.PhaseDispatched, [RunEventTypes.PhaseSucceeded, RunEventTypes.PhaseDispatched]),
        ["the last accepted phase completes the run"] = new(() => With(Running(), r => Succeeded(r)),
            RunState.Completed, RunOutcome.LastPhaseAccepted, [RunEventTypes.PhaseSucceeded, RunEventTypes.RunCompleted]),
        ["an accepted phase with a gate asks for approval"] = new(
            () => With(Running(RunSagaHarness.Phase("spec", gates: new GatePlan("spec-approval"))), r => Succeeded(r)),
            RunState.AwaitingApproval, RunOutcome.ApprovalRequested, [RunEventTypes.PhaseSucceeded, RunEventTypes.ApprovalRequested]),
        ["an artifact whose digest does not match is an executor error, retried"] = new(
            () => With(Running(), r => Succeeded(r, digest: "sha256:" + new string('0', 64))),
            RunState.Running, RunOutcome.RetryScheduled, [RunEventTypes.PhaseAttemptFailed, RunEventTypes.PhaseRetryScheduled]),
        ["a result over budget fails the run"] = new(
            () => With(Pending(new Budget { MaxCostUsd = 0.005m }), r => { Step(r, StartOf(r)); return Succeeded(r); }),
            RunState.Failed, RunOutcome.BudgetExceeded, [RunEventTypes.PhaseSucceeded, RunEventTypes.RunFailed]),
        ["an invalid artifact gets a repair attempt"] = new(() => With(Running(), r => AttemptFailed(r, FailureKind.InvalidArtifact)),
            RunState.Running, RunOutcome.RepairDispatched, [RunEventTypes.PhaseAttemptFailed, RunEventTypes.PhaseDispatched]),
        ["an invalid artifact after the repairs fails the run"] = new(
            () => With(Running(RunSagaHarness.Phase("spec", repairAttempts: 0)), r => AttemptFailed(r, FailureKind.InvalidArtifact)),
            RunState.Failed, RunOutcome.RepairsUsedUp, [RunEventTypes.PhaseAttemptFailed, RunEventTypes.RunFailed]),
        ["an executor error is retried after the backoff"] = new(() => With(Running(), r => AttemptFailed(r, FailureKind.ExecutorError)),
            RunState.Running, RunOutcome.RetryScheduled, [RunEventTypes.PhaseAttemptFailed, RunEventTypes.PhaseRetryScheduled]),
        ["an executor error after the last attempt fails the run"] = new(
            () => With(Running(RunSagaHarness.Phase("spec", maxAttempts: 1)), r => AttemptFailed(r, FailureKind.ExecutorError)),
            RunState.Failed, RunOutcome.RetriesUsedUp, [RunEventTypes.PhaseAttemptFailed, RunEventTypes.RunFailed]),
        ["a lost attempt times out and is retried"] = new(() => With(Running(), r => TimedOut(r)),
            RunState.Running, RunOutcome.RetryScheduled, [RunEventTypes.PhaseTimedOut, RunEventTypes.PhaseAttemptFailed, RunEventTypes.PhaseRetryScheduled]),
        ["a lost last attempt fails the run with phase_timeout"] = new(() => With(Running(RunSagaHarness.Phase("spec", maxAttempts: 1)), r => TimedOut(r)),
            RunState.Failed, RunOutcome.RetriesUsedUp, [RunEventTypes.PhaseTimedOut, RunEventTypes.PhaseAttemptFailed, RunEventTypes.RunFailed]),
        ["an elapsed backoff dispatches the retry"] = new(() => With(WaitingForRetry(), r => BackoffElapsed(r)),
            RunState.Running, RunOutcome.RetryDispatched, [RunEventTypes.PhaseDispatched]),
        ["an approval continues with the next phase"] = new(() => With(AwaitingApproval(), r => Decided(r, ApprovalAction.Approve)),
            RunState.Running, RunOutcome.PhaseDispatched, [RunEventTypes.ApprovalDecided, RunEventTypes.PhaseDispatched]),
        ["an approval of the last phase completes the run"] = new(() => With(AwaitingApproval(lastPhase: true), r => Decided(r, ApprovalAction.Approve)),
            RunState.Completed, RunOutcome.LastPhaseAccepted, [RunEventTypes.ApprovalDecided, RunEventTypes.RunCompleted]),
        ["a rejection fails the run"] = new(() => With(AwaitingApproval(), r => Decided(r, ApprovalAction.Reject)),
            RunState.Failed, RunOutcome.ApprovalRejected, [RunEventTypes.ApprovalDecided, RunEventTypes.RunFailed]),
        ["an expired approval fails the run"] = new(() => With(AwaitingApproval(), r => Decided(r, ApprovalAction.Expire)),
            RunState.Failed, RunOutcome.ApprovalExpired, [RunEventTypes.ApprovalDecided, RunEventTypes.RunFailed]),
        ["an abort at the gate aborts the run"] = new(() => With(AwaitingApproval(), r => Decided(r, ApprovalAction.Abort)),
            RunState.Aborted, RunOutcome.ApprovalAborted, [RunEventTypes.ApprovalDecided, RunEventTypes.RunAborted]),
        ["a cancel of a running run cancels it"] = new(() => With(Running(), r => new CancelRun { RunId = r.CorrelationId }),
            RunState.Cancelled, RunOutcome.Cancelled, [RunEventTypes.RunCancelled]),
        ["a cancel at a gate cancels the run"] = new(() => With(AwaitingApproval(), r => new CancelRun { RunId = r.CorrelationId }),
            RunState.Cancelled, RunOutcome.Cancelled, [RunEventTypes.RunCancelled]),
        ["the run's own deadline fails it with run_timeout"] = new(() => With(Running(), r => RunDeadline(r)),
            RunState.Failed, RunOutcome.RunTimedOut, [RunEventTypes.RunFailed]),
        ["a retry of a failed run continues from the failed phase"] = new(() => With(Failed(), r => new RetryRun { RunId = r.CorrelationId }),
            RunState.Running, RunOutcome.RunRetried, [RunEventTypes.RunRetried, RunEventTypes.PhaseDispatched]),
        ["a child's end starts the next child"] = new(() => With(RunningChildren(1, ["a", "b"]), r => ChildEnded(r, RunningChildrenOf(r)[0])),
            RunState.Running, RunOutcome.ChildFinished, [RunEventTypes.ChildFinished, RunEventTypes.ChildStarted]),
        ["the last child's end completes the run"] = new(() => With(RunningChildren(1, ["a"]), r => ChildEnded(r, RunningChildrenOf(r)[0])),
            RunState.Completed, RunOutcome.LastPhaseAccepted, [RunEventTypes.ChildFinished, RunEventTypes.PhaseSucceeded, RunEventTypes.RunCompleted]),
        ["a failed last child fails the attempt, retried after the backoff"] = new(
            () => With(RunningChildren(1, ["a"]), r => ChildEnded(r, RunningChildrenOf(r)[0], RunState.Failed, ErrorCodes.ExecutorError)),
            RunState.Running, RunOutcome.RetryScheduled, [RunEventTypes.ChildFinished, RunEventTypes.PhaseAttemptFailed, RunEventTypes.PhaseRetryScheduled]),
    };

    private static readonly Dictionary<string, Rule> s_ignored = new()
    {
        ["a result for another execution"] = new(() => With(Running(), r => Succeeded(r, executionId: Guid.NewGuid())),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a result that arrives twice"] = new(() => With(Running(RunSagaHarness.Phase("spec"), RunSagaHarness.Phase("review")), r =>
        {
            var first = Succeeded(r);
            Step(r, first);
            return first;
        }), RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a failure for another execution"] = new(() => With(Running(), r => AttemptFailed(r, FailureKind.ExecutorError, Guid.NewGuid())),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a timeout for another execution"] = new(() => With(Running(), r => TimedOut(r, Guid.NewGuid())),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a backoff no retry waits on"] = new(() => With(Running(), r => BackoffElapsed(r, 7)),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a decision for another attempt"] = new(() => With(AwaitingApproval(), r => Decided(r, ApprovalAction.Approve, attempt: 7)),
            RunState.AwaitingApproval, null, [RunEventTypes.MessageIgnored]),
        ["a decision for another artifact digest"] = new(
            () => With(AwaitingApproval(), r => Decided(r, ApprovalAction.Approve, digest: "sha256:" + new string('f', 64))),
            RunState.AwaitingApproval, null, [RunEventTypes.MessageIgnored]),
        ["a decision while the run is running"] = new(() => With(Running(), r => Decided(r, ApprovalAction.Approve)),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a result while the run awaits approval"] = new(() => With(AwaitingApproval(), r => Succeeded(r)),
            RunState.AwaitingApproval, null, [RunEventTypes.MessageIgnored]),
        ["a late result after cancel"] = new(() =>
        {
            var run = Running();
            var late = Succeeded(run);
            Step(run, new CancelRun { RunId = run.CorrelationId });
            return (run, late, true);
        }, RunState.Cancelled, null, [RunEventTypes.MessageIgnored]),
        ["a cancel of a completed run"] = new(() => With(Completed(), r => new CancelRun { RunId = r.CorrelationId }),
            RunState.Completed, null, [RunEventTypes.MessageIgnored]),
        ["a run deadline of a cancelled run"] = new(() => With(Cancelled(), r => RunDeadline(r, r.Generation)),
            RunState.Cancelled, null, [RunEventTypes.MessageIgnored]),
        ["a run deadline of an earlier generation"] = new(() =>
        {
            var run = Failed();
            Step(run, new RetryRun { RunId = run.CorrelationId });
            return (run, RunDeadline(run, 1), true);
        }, RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a retry of a completed run"] = new(() => With(Completed(), r => new RetryRun { RunId = r.CorrelationId }),
            RunState.Completed, null, [RunEventTypes.MessageIgnored]),
        ["a retry of a running run"] = new(() => With(Running(), r => new RetryRun { RunId = r.CorrelationId }),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a retry whose input bundle an identical run holds"] = new(() => With(Failed(), r => new RetryRun { RunId = r.CorrelationId }, held: false),
            RunState.Failed, null, [RunEventTypes.MessageIgnored]),
        ["a second start of a started run"] = new(() => With(Running(), StartOf),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["the end of a child the run never started"] = new(() => With(RunningChildren(1, ["a"]), r => ChildEnded(r,
                new ChildRecord { Index = 0, Attempt = 1, RunId = Guid.NewGuid(), InputsDigest = "", StartedAt = Now })),
            RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["the end of a child that arrives twice"] = new(() =>
        {
            var run = RunningChildren(1, ["a", "b"]);
            var end = ChildEnded(run, RunningChildrenOf(run)[0]);
            Step(run, end);
            return (run, end, true);
        }, RunState.Running, null, [RunEventTypes.MessageIgnored]),
        ["a child's end after the parent was cancelled"] = new(() =>
        {
            var run = RunningChildren(1, ["a"]);
            var end = ChildEnded(run, RunningChildrenOf(run)[0]);
            Step(run, new CancelRun { RunId = run.CorrelationId });
            return (run, end, true);
        }, RunState.Cancelled, null, [RunEventTypes.MessageIgnored]),
    };

    public static TheoryData<string> Moves => new(s_moves.Keys);

    public static TheoryData<string> Ignored => new(s_ignored.Keys);

    [Theory]
    [MemberData(nameof(Moves))]
    public void A_message_the_state_moves_on_leads_where_the_lifecycle_says(string rule) => Check(s_moves[rule]);

    [Theory]
    [MemberData(nameof(Ignored))]
    public void A_message_the_run_does_not_wait_on_is_recorded_as_ignored_and_changes_nothing_else(string rule)
    {
        var expected = s_ignored[rule];
        var (run, message, held) = expected.Arrange();
        var attempts = run.Phases.Sum(p => p.Attempts.Count);
        var usage = run.Usage;

        var decision = Check(expected with { Arrange = () => (run, message, held) });

        decision.Effects.ShouldHaveSingleItem().ShouldBeOfType<RunEffect.AppendEvent>()
            .Payload["messageType"]!.GetValue<string>().ShouldBe(message.GetType().Name);
        run.Phases.Sum(p => p.Attempts.Count).ShouldBe(attempts);
        run.Usage.ShouldBe(usage);
    }

    [Fact]
    public void Dispatching_renders_the_instructions_and_sets_the_attempt_and_run_deadlines()
    {
        var run = Pending();

        var decision = Step(run, StartOf(run));

        var dispatch = Published<ExecutePhase>(decision).ShouldHaveSingleItem();
        dispatch.Instructions.ShouldBe("Do spec for dark mode");
        var deadlines = decision.Effects.OfType<RunEffect.SetDeadline>().ToList();
        deadlines.Select(d => d.Kind).ShouldBe([DeadlineKind.Run, DeadlineKind.Attempt]);
        deadlines[1].ExecutionId.ShouldBe(dispatch.ExecutionId);
        deadlines[1].DueAt.ShouldBe(Now.AddSeconds(Options.ScheduleToStartSeconds + run.CurrentPlan.TimeoutSeconds));
    }

    [Fact]
    public void The_same_input_on_the_same_run_gives_the_same_ids_so_a_redelivered_pass_decides_alike()
    {
        var id = Guid.NewGuid();
        RunRecord Gated() => RunSagaHarness.PendingRun(id, [RunSagaHarness.Phase("spec", gates: new GatePlan("spec-approval"))]);
        var (first, second) = (Gated(), Gated());

        var dispatches = new[] { first, second }.Select(run => Published<ExecutePhase>(Step(run, StartOf(run))).Single()).ToList();
        var approvals = new[] { first, second }.Select(run => Published<ApprovalRequested>(Step(run, Succeeded(run))).Single()).ToList();

        dispatches[1].ExecutionId.ShouldBe(dispatches[0].ExecutionId);
        approvals[1].RequestId.ShouldBe(approvals[0].RequestId);
        dispatches[0].ExecutionId.ShouldBe(NameBasedId.Of($"{id}:execution:spec:1"));
        approvals[0].RequestId.ShouldNotBe(dispatches[0].ExecutionId);
    }

    [Fact]
    public void Instructions_over_the_limit_fail_the_run_and_send_nothing()
    {
        var run = Pending();

        var decision = Step(run, StartOf(run), options: s_smallInstructions);

        decision.Outcome.ShouldBe(RunOutcome.InstructionsTooLarge);
        decision.To.ShouldBe(RunState.Failed);
        run.Error!.Code.ShouldBe(ErrorCodes.InstructionsTooLarge);
        Published<ExecutePhase>(decision).ShouldBeEmpty();
    }

    [Fact]
    public void A_repair_attempt_carries_the_validation_errors()
    {
        var run = Running();

        var decision = Step(run, AttemptFailed(run, FailureKind.InvalidArtifact));

        Published<ExecutePhase>(decision).ShouldHaveSingleItem().RepairFeedback.ShouldBe(["bad"]);
        decision.Effects.OfType<RunEffect.StoreArtifact>().ShouldHaveSingleItem().Accepted.ShouldBeFalse();
    }

    [Fact]
    public void A_retry_waits_for_its_backoff_as_a_deadline()
    {
        var run = Running(RunSagaHarness.Phase("spec") with { BackoffSeconds = 2, BackoffMultiplier = 3 });

        var decision = Step(run, AttemptFailed(run, FailureKind.ExecutorError));

        var backoff = decision.Effects.OfType<RunEffect.SetDeadline>().ShouldHaveSingleItem();
        backoff.Kind.ShouldBe(DeadlineKind.Backoff);
        backoff.DueAt.ShouldBe(Now.AddSeconds(2));
        backoff.Attempt.ShouldBe(2);
        Published<ExecutePhase>(decision).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(RunState.Completed, false)]
    [InlineData(RunState.Failed, true)]
    [InlineData(RunState.Cancelled, true)]
    public void The_end_of_a_run_clears_its_deadlines_publishes_run_finished_and_frees_the_input_bundle_unless_it_completed(RunState end, bool released)
    {
        var run = Running();

        var decision = Step(run, end switch
        {
            RunState.Completed => Succeeded(run),
            RunState.Failed => RunDeadline(run),
            _ => new CancelRun { RunId = run.CorrelationId },
        });

        decision.To.ShouldBe(end);
        decision.Effects.ShouldContain(new RunEffect.ClearDeadline(null));
        decision.Effects[^1].ShouldBe(new RunEffect.PublishRunFinished(end));
        decision.Effects.OfType<RunEffect.ReleaseInputBundle>().Any().ShouldBe(released);
        run.Generation.ShouldBe(1);
        run.EndedAt.ShouldBe(Now);
    }

    [Fact]
    public void A_cancel_or_run_timeout_tells_the_worker_of_the_open_attempt_to_stop()
    {
        var run = Running();
        var open = Open(run).ExecutionId;

        var decision = Step(run, new CancelRun { RunId = run.CorrelationId, Reason = "changed my mind" });

        Published<CancelPhase>(decision).ShouldHaveSingleItem().ExecutionId.ShouldBe(open);
        run.Error!.Code.ShouldBe(ErrorCodes.RunCancelled);
        run.Error.Message.ShouldBe("changed my mind");
    }

    [Fact]
    public void A_retried_run_counts_attempt_numbers_on_with_fresh_allowances()
    {
        var run = Failed();

        var decision = Step(run, new RetryRun { RunId = run.CorrelationId, RequestedBy = "ana" });

        Published<ExecutePhase>(decision).ShouldHaveSingleItem().Attempt.ShouldBe(2);
        run.CurrentPhase.AllowanceStart.ShouldBe(2);
        run.Error.ShouldBeNull();
        decision.Effects.OfType<RunEffect.SetDeadline>().First().Generation.ShouldBe(2);
    }

    [Fact]
    public void An_ignored_decision_records_who_decided_what_on_which_digest()
    {
        var run = AwaitingApproval();
        var otherDigest = "sha256:" + new string('f', 64);

        var decision = Step(run, Decided(run, ApprovalAction.Approve, digest: otherDigest));

        var payload = decision.Effects.OfType<RunEffect.AppendEvent>().Single().Payload;
        payload["reason"]!.GetValue<string>().ShouldBe("not the approval the run waits on");
        payload["decidedBy"]!.GetValue<string>().ShouldBe("ana");
        payload["artifactDigest"]!.GetValue<string>().ShouldBe(otherDigest);
        run.Approval.ShouldNotBeNull();
    }

    [Fact]
    public void An_applied_decision_is_kept_on_its_phase_with_who_decided_what_when_and_why_and_an_ignored_one_is_not()
    {
        var run = AwaitingApproval();
        var waiting = run.Approval!;
        Step(run, Decided(run, ApprovalAction.Approve, attempt: 7));
        run.CurrentPhase.Approvals.ShouldBeEmpty();

        var decision = Step(run, Decided(run, ApprovalAction.Reject) with { Comment = "Missing steps.", DecidedAt = Now.AddMinutes(-1) });

        run.CurrentPhase.Approvals.ShouldHaveSingleItem().ShouldBe(new ApprovalSummary
        {
            RequestId = waiting.RequestId,
            Gate = waiting.Gate,
            Attempt = waiting.Attempt,
            ArtifactDigest = waiting.ArtifactDigest,
            Action = ApprovalAction.Reject,
            DecidedBy = "ana",
            DecidedAt = Now.AddMinutes(-1),
            Comment = "Missing steps.",
        });
        var payload = decision.Effects.OfType<RunEffect.AppendEvent>().First(e => e.Type == RunEventTypes.ApprovalDecided).Payload;
        payload["decidedAt"]!.GetValue<DateTimeOffset>().ShouldBe(Now.AddMinutes(-1));
        payload["comment"]!.GetValue<string>().ShouldBe("Missing steps.");
    }

    private static RunDecision Check(Rule expected)
    {
        var (run, message, held) = expected.Arrange();
        var from = run.State;

        var decision = Step(run, message, held);

        decision.From.ShouldBe(from);
        decision.Outcome.ShouldBe(expected.Outcome);
        decision.To.ShouldBe(expected.To);
        EventTypes(decision).ShouldBe(expected.Events);
        if (decision.Outcome is { } outcome)
        {
            RunTransitions.Allows(from, message.GetType(), outcome).ShouldBeTrue(
                $"{message.GetType().Name} in {from} decided {outcome}, which RunTransitions.All does not list");
        }

        return decision;
    }
}
