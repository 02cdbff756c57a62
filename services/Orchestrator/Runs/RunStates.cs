using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// A run's state is the contract's <see cref="RunState"/> everywhere in the orchestrator. The one other form is the
/// state machine's state name in <see cref="RunRecord.CurrentState"/> (MassTransit stores a name): each state of
/// <see cref="RunStateMachine"/> is named as the <see cref="RunState"/> member it is, and this is where the two meet.
/// </summary>
public static class RunStates
{
    /// <summary>The run state a state machine state name stands for.</summary>
    public static RunState Of(string stateName) =>
        Enum.TryParse<RunState>(stateName, ignoreCase: false, out var state) && Enum.IsDefined(state)
            ? state
            : throw new ArgumentOutOfRangeException(nameof(stateName), stateName, "No run state has this name.");

    /// <summary>The state machine state name of a run state.</summary>
    public static string NameOf(RunState state) => state.ToString();

    /// <summary>Whether the run ended (and may still be retried if it failed).</summary>
    public static bool IsTerminal(RunState state) => state is RunState.Completed or RunState.Failed or RunState.Aborted or RunState.Cancelled;

    /// <summary>The state as the API and the bus spell it (<c>awaitingApproval</c>).</summary>
    public static string ToJson(RunState state) => RunJson.WireName(state);
}
