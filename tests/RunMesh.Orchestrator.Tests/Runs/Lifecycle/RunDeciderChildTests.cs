using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Schemas;
using static RunMesh.Orchestrator.Tests.Runs.Lifecycle.RunDeciderFixtures;

namespace RunMesh.Orchestrator.Tests.Runs.Lifecycle;

/// <summary>The decider's side of child runs: a <c>run</c> phase starting, awaiting, retrying and cancelling its children.</summary>
public sealed class RunDeciderChildTests
{
    [Fact]
    public void Dispatching_a_run_phase_starts_up_to_max_parallel_children_with_name_based_ids_labels_and_the_budget_left()
    {
        var run = Pending(new Budget { MaxCostUsd = 2m }, RunPhase("chapters", maxParallel: 2, forEach: "inputs.titles"));
        run.Definition = run.Definition with { Inputs = new JsonObject { ["feature"] = "x", ["titles"] = new JsonArray("a", "b", "c") } };

        var decision = Step(run, StartOf(run));

        decision.To.ShouldBe(RunState.Running);
        var executionId = run.CurrentPhase.Attempts.ShouldHaveSingleItem().ExecutionId;
        var starts = Published<StartRun>(decision);
        starts.Select(s => s.RunId).ShouldBe([NameBasedId.Of($"{executionId}:0"), NameBasedId.Of($"{executionId}:1")]);
        starts.Select(s => s.Inputs["title"]!.GetValue<string>()).ShouldBe(["a", "b"]);
        starts.ShouldAllBe(s => s.ParentRunId == run.CorrelationId && s.Template == "chapter@1" && !s.Options.Force);
        starts[0].Options.Labels["parentRunId"].ShouldBe(run.CorrelationId.ToString());
        starts[0].Options.Labels["parentPhase"].ShouldBe("chapters");
        starts[0].Options.Budget!.MaxCostUsd.ShouldBe(2m);
        Published<ExecutePhase>(decision).ShouldBeEmpty();
        EventTypes(decision).Count(t => t == RunEventTypes.ChildStarted).ShouldBe(2);
    }

    [Fact]
    public void Each_child_end_starts_the_next_and_the_last_completes_the_phase_with_the_items_in_order()
    {
        var run = RunningChildren(maxParallel: 2, ["a", "b", "c"]);
        var (first, second) = (RunningChildrenOf(run)[0], RunningChildrenOf(run)[1]);

        var afterSecond = Step(run, ChildEnded(run, second));
        afterSecond.Outcome.ShouldBe(RunOutcome.ChildFinished);
        Published<StartRun>(afterSecond).ShouldHaveSingleItem().Inputs["title"]!.GetValue<string>().ShouldBe("c");
        Step(run, ChildEnded(run, first)).Outcome.ShouldBe(RunOutcome.ChildFinished);
        var last = Step(run, ChildEnded(run, RunningChildrenOf(run).ShouldHaveSingleItem()));

        last.Outcome.ShouldBe(RunOutcome.LastPhaseAccepted);
        run.Outputs["chapters"]!["items"]!.AsArray().Select(i => i!["text"]!.GetValue<string>()).ShouldBe(["chapter 0", "chapter 1", "chapter 2"]);
        run.Usage.InputTokens.ShouldBe(30);
        run.CurrentPhase.Children.ShouldAllBe(c => c.Artifact == null);
    }

    [Fact]
    public void Ends_gathered_into_one_batch_are_each_recorded_and_the_next_children_start_once_for_all_of_them()
    {
        var run = RunningChildren(maxParallel: 2, ["a", "b", "c", "d"]);
        var (first, second) = (RunningChildrenOf(run)[0], RunningChildrenOf(run)[1]);

        var decision = Step(run, ChildrenEnded(run, EndOf(run, first), EndOf(run, second)));

        decision.Outcome.ShouldBe(RunOutcome.ChildFinished);
        EventTypes(decision).Count(t => t == RunEventTypes.ChildFinished).ShouldBe(2);
        Published<StartRun>(decision).Select(s => s.Inputs["title"]!.GetValue<string>()).ShouldBe(["c", "d"]);
        run.Usage.InputTokens.ShouldBe(20);
    }

    [Fact]
    public void A_batch_holding_every_remaining_end_and_a_repeated_one_completes_the_phase_once_and_records_the_repeat_as_ignored()
    {
        var run = RunningChildren(maxParallel: 2, ["a", "b"]);
        var (first, second) = (RunningChildrenOf(run)[0], RunningChildrenOf(run)[1]);
        Step(run, ChildEnded(run, first));

        var decision = Step(run, ChildrenEnded(run, EndOf(run, first), EndOf(run, second)));

        decision.Outcome.ShouldBe(RunOutcome.LastPhaseAccepted);
        EventTypes(decision).Count(t => t == RunEventTypes.ChildFinished).ShouldBe(1);
        EventTypes(decision).Count(t => t == RunEventTypes.MessageIgnored).ShouldBe(1);
        run.Usage.InputTokens.ShouldBe(20);
        run.Outputs["chapters"]!["items"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public void A_failed_child_fails_the_attempt_once_all_have_ended_and_the_retry_starts_only_its_index()
    {
        var run = RunningChildren(maxParallel: 3, ["a", "b", "c"]);
        var children = RunningChildrenOf(run);

        Step(run, ChildEnded(run, children[0]));
        Step(run, ChildEnded(run, children[1], RunState.Failed, ErrorCodes.TemplateNotFound)).Outcome.ShouldBe(RunOutcome.ChildFinished);
        var closed = Step(run, ChildEnded(run, children[2]));

        closed.Outcome.ShouldBe(RunOutcome.RetryScheduled);
        var failed = run.CurrentPhase.Attempts.ShouldHaveSingleItem();
        failed.Outcome.ShouldBe(AttemptOutcome.ChildFailed);
        failed.Errors.ShouldHaveSingleItem().ShouldContain($"{children[1].RunId}");
        failed.Errors[0].ShouldContain(ErrorCodes.TemplateNotFound);

        var retried = Step(run, BackoffElapsed(run));
        var restart = Published<StartRun>(retried).ShouldHaveSingleItem();
        restart.Inputs["title"]!.GetValue<string>().ShouldBe("b");
        restart.RunId.ShouldBe(NameBasedId.Of($"{run.CurrentPhase.Attempts[^1].ExecutionId}:1"));
        Step(run, ChildEnded(run, RunningChildrenOf(run).ShouldHaveSingleItem())).Outcome.ShouldBe(RunOutcome.LastPhaseAccepted);
    }

    [Fact]
    public void The_children_failing_on_every_attempt_fail_the_run_with_child_failed()
    {
        var run = RunningChildren(maxParallel: 1, ["a"], maxAttempts: 1);

        var decision = Step(run, ChildEnded(run, RunningChildrenOf(run).Single(), RunState.Failed, ErrorCodes.MaxDepthExceeded));

        decision.Outcome.ShouldBe(RunOutcome.RetriesUsedUp);
        run.Error!.Code.ShouldBe(ErrorCodes.ChildFailed);
        run.Error.Message.ShouldContain(ErrorCodes.MaxDepthExceeded);
    }

    [Fact]
    public void A_child_that_ran_other_inputs_than_asked_is_not_taken()
    {
        var run = RunningChildren(maxParallel: 1, ["a"], maxAttempts: 1);

        Step(run, ChildEnded(run, RunningChildrenOf(run).Single(), inputsDigest: Digest.Of(new JsonObject { ["title"] = "other" })));

        run.State.ShouldBe(RunState.Failed);
        run.Outputs.ContainsKey("chapters").ShouldBeFalse();
        run.CurrentPhase.Children.Single().State.ShouldBe(RunState.Failed);
    }

    [Fact]
    public void Cancelling_the_parent_cancels_its_running_children()
    {
        var run = RunningChildren(maxParallel: 2, ["a", "b", "c"]);
        var running = RunningChildrenOf(run);

        var decision = Step(run, new CancelRun { RunId = run.CorrelationId });

        decision.To.ShouldBe(RunState.Cancelled);
        Published<CancelRun>(decision).Select(c => c.RunId).ShouldBe(running.Select(c => c.RunId));
        Published<CancelPhase>(decision).ShouldBeEmpty();
        Published<StartRun>(decision).ShouldBeEmpty();
    }

    [Fact]
    public void Childrens_usage_over_the_budget_fails_the_parent_and_cancels_the_children_still_running()
    {
        var run = RunningChildren(maxParallel: 3, ["a", "b", "c"], new Budget { MaxTokens = 20 });
        var children = RunningChildrenOf(run);
        Step(run, ChildEnded(run, children[0]));

        var decision = Step(run, ChildEnded(run, children[1]));

        decision.Outcome.ShouldBe(RunOutcome.BudgetExceeded);
        run.Error!.Code.ShouldBe(ErrorCodes.BudgetExceeded);
        Published<CancelRun>(decision).ShouldHaveSingleItem().RunId.ShouldBe(children[2].RunId);
    }

    [Fact]
    public void A_for_each_value_that_is_no_array_fails_the_attempt_with_child_failed()
    {
        var run = Pending(null, RunPhase("chapters", forEach: "inputs.feature", maxAttempts: 1));

        var decision = Step(run, StartOf(run));

        decision.Outcome.ShouldBe(RunOutcome.RetriesUsedUp);
        run.Error!.Code.ShouldBe(ErrorCodes.ChildFailed);
        Published<StartRun>(decision).ShouldBeEmpty();
        RunTransitions.Allows(RunState.Pending, typeof(StartRun), RunOutcome.RetriesUsedUp).ShouldBeTrue();
    }

    [Fact]
    public async Task An_assembled_artifact_that_fails_the_phases_schema_fails_the_run_without_a_repair()
    {
        var run = RunningChildren(maxParallel: 1, ["a"]);
        var schema = (await JsonSchemas.LoadAsync(JsonNode.Parse("""{"type":"object","required":["summary"]}"""))).Schema!;
        var input = new RunInput(ChildEnded(run, RunningChildrenOf(run).Single()), Guid.NewGuid())
        {
            ChildArtifactSchemas = new Dictionary<string, CompiledSchema> { ["chapters"] = schema },
        };

        var decision = RunDecider.Decide(run, input, Options, Now);

        decision.Outcome.ShouldBe(RunOutcome.RepairsUsedUp);
        Published<StartRun>(decision).ShouldBeEmpty();
        run.CurrentPhase.Attempts.Single().Outcome.ShouldBe(AttemptOutcome.InvalidArtifact);
    }

    [Fact]
    public void The_end_of_a_child_the_run_never_started_is_recorded_as_ignored()
    {
        var run = RunningChildren(maxParallel: 1, ["a", "b"]);
        var stranger = new ChildRecord { Index = 0, Attempt = 1, RunId = Guid.NewGuid(), InputsDigest = "", StartedAt = Now };

        var decision = Step(run, ChildEnded(run, stranger));

        decision.Outcome.ShouldBeNull();
        EventTypes(decision).ShouldBe([RunEventTypes.MessageIgnored]);
        RunningChildrenOf(run).Count.ShouldBe(1);
    }
}
