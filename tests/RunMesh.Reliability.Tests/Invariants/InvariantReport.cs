namespace RunMesh.Reliability.Tests.Invariants;

/// <summary>What <see cref="InvariantChecker"/> found: every broken invariant, and the counts the summary prints.</summary>
public sealed class InvariantReport
{
    /// <summary>One line per broken invariant (empty when all hold).</summary>
    public List<string> Violations { get; } = [];

    public int Submitted { get; set; }

    public int Completed { get; set; }

    public int FailedAsExpected { get; set; }

    /// <summary>Runs that did not reach the terminal state they must reach (stuck, missing, or another state).</summary>
    public int Lost { get; set; }

    /// <summary>Effects applied more than once: results, accepted artifacts, decisions or reports beyond one.</summary>
    public int DuplicatesApplied { get; set; }

    /// <summary>Copies the inboxes absorbed: deliveries of a message id beyond the first (redeliveries, duplicates, retries).</summary>
    public long DuplicatesDropped { get; set; }

    /// <summary>Executions the workers logged for these runs (at-least-once: a killed execution runs again).</summary>
    public int Executions { get; set; }

    /// <summary>Phase results the orchestrator applied (<c>phase.succeeded</c> events).</summary>
    public int AppliedResults { get; set; }

    /// <summary>Decisions the orchestrator applied (<c>approval.decided</c> events).</summary>
    public int AppliedDecisions { get; set; }

    /// <summary>Messages found in <c>_error</c> queues that were allowed (the injected poison, or a failed run's).</summary>
    public int AllowedErrorMessages { get; set; }

    /// <summary>The violations as one message for an assertion.</summary>
    public override string ToString() =>
        Violations.Count == 0 ? "all invariants hold" : $"{Violations.Count} violation(s):{Environment.NewLine}{string.Join(Environment.NewLine, Violations.Take(40))}";
}
