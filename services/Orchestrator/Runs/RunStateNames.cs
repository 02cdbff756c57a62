namespace RunMesh.Orchestrator.Runs;

/// <summary>The JSON names of run states (the state machine stores its state names: <c>AwaitingApproval</c> → <c>awaitingApproval</c>).</summary>
public static class RunStateNames
{
    /// <summary>The JSON name of a state machine state name.</summary>
    public static string ToJson(string stateName) =>
        stateName.Length == 0 ? stateName : string.Concat(char.ToLowerInvariant(stateName[0]).ToString(), stateName.AsSpan(1));

    /// <summary>Whether the run ended (and may still be retried if it failed).</summary>
    public static bool IsTerminal(string stateName) => stateName is "Completed" or "Failed" or "Aborted" or "Cancelled";
}
