using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Orchestrator.Tests.Runs;

/// <summary>docs/run-lifecycle-diagram.md is what the code renders; <c>RUNMESH_UPDATE_DOCS=1</c> rewrites it.</summary>
public sealed class RunLifecycleDiagramTests
{
    [Fact]
    public void The_committed_state_diagram_is_the_one_the_state_machine_renders()
    {
        var rendered = RunLifecycleDiagram.Render(new RunStateMachine());
        var path = Path.Combine(RepositoryPaths.Root, RunLifecycleDiagram.RelativePath);
        if (Environment.GetEnvironmentVariable("RUNMESH_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, rendered);
        }

        var committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "(missing)";

        committed.ShouldBe(rendered,
            $"{RunLifecycleDiagram.RelativePath} differs from what RunTransitions and RunStateMachine render. Regenerate it: {RunLifecycleDiagram.RegenerateCommand}");
    }

    [Fact]
    public void Every_step_of_the_state_machine_that_moves_a_run_is_in_the_diagram()
    {
        var rendered = RunLifecycleDiagram.Render(new RunStateMachine());

        rendered.ShouldContain("Pending --> Running: StartRun / phase dispatched");
        rendered.ShouldContain("Running --> AwaitingApproval: PhaseSucceeded / gate reached, ApprovalRequested");
        rendered.ShouldContain("Running --> Failed: PhaseAttemptFailed / artifact_invalid_after_repair");
        rendered.ShouldContain("AwaitingApproval --> Aborted: ApprovalDecided / approval_aborted");
        rendered.ShouldContain("Failed --> Running: RetryRun / retried, generation + 1");
        rendered.ShouldContain("Running --> Cancelled: CancelRun / run_cancelled, CancelPhase for an open attempt");
        rendered.ShouldContain("| Completed | — | `ApprovalDecided`");
    }

    [Fact]
    public void Every_outcome_is_listed_for_some_message_and_every_listed_message_reaches_the_decider_in_its_state()
    {
        var machine = new RunStateMachine();
        var machineMessages = RunLifecycleDiagram.MessagesOf(machine);

        RunTransitions.All.SelectMany(t => t.Outcomes).Distinct().Order().ShouldBe(Enum.GetValues<RunOutcome>().Order());
        // Admission hands StartRun to the decider itself; every other input arrives through the state machine.
        RunTransitions.Inputs.Where(m => m != typeof(StartRun)).Select(m => m.Name).Order()
            .ShouldBe(machineMessages.Select(m => m.Name).Order());
        RunTransitions.All.Where(t => t.Message != typeof(StartRun))
            .ShouldAllBe(t => RunLifecycleDiagram.MessagesHandledIn(machine, t.From).Contains(t.Message));
        RunTransitions.Allows(RunState.Completed, typeof(PhaseSucceeded), RunOutcome.LastPhaseAccepted).ShouldBeFalse();
    }

    [Fact]
    public void Every_state_of_the_machine_is_a_run_state_of_the_same_name()
    {
        var machine = new RunStateMachine();

        machine.States.Where(s => s.Name is not ("Initial" or "Final")).Select(s => RunStates.Of(s.Name)).Order()
            .ShouldBe(Enum.GetValues<RunState>().Order());
    }
}
