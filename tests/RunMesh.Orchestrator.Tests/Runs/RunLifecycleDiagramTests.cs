using RunMesh.Orchestrator.Runs;
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
            $"{RunLifecycleDiagram.RelativePath} differs from what RunStateMachine and RunTransitions render. Regenerate it: {RunLifecycleDiagram.RegenerateCommand}");
    }

    [Fact]
    public void Every_step_of_the_state_machine_that_moves_a_run_is_in_the_diagram()
    {
        var rendered = RunLifecycleDiagram.Render(new RunStateMachine());

        rendered.ShouldContain("Pending --> Running: RunAdmitted / phase dispatched");
        rendered.ShouldContain("Running --> AwaitingApproval: PhaseSucceeded / gate reached, ApprovalRequested");
        rendered.ShouldContain("Running --> Failed: PhaseAttemptFailed / artifact_invalid_after_repair");
        rendered.ShouldContain("AwaitingApproval --> Aborted: ApprovalDecided / approval_aborted");
        rendered.ShouldContain("Failed --> Running: RetryRun / retried, generation + 1");
        rendered.ShouldContain("Running --> Cancelled: CancelRun / run_cancelled, CancelPhase for an open attempt");
        rendered.ShouldContain("| Completed | — | `ApprovalDecided`");
    }

    [Fact]
    public void Every_outcome_is_listed_for_some_message_and_only_for_states_the_machine_handles_it_in()
    {
        var machine = new RunStateMachine();

        RunTransitions.All.SelectMany(t => t.Outcomes).Distinct().Order().ShouldBe(Enum.GetValues<RunOutcome>().Order());
        RunTransitions.All.ShouldAllBe(t => machine.NextEvents(machine.GetState(t.From.ToString())).Any(e => e.Name == t.Event));
        RunTransitions.Allows("Completed", nameof(RunStateMachine.PhaseSucceeded), RunOutcome.LastPhaseAccepted).ShouldBeFalse();
    }
}
