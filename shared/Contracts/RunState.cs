using System.Text.Json.Serialization;

namespace RunMesh.Contracts;

/// <summary>
/// The state of a run in the orchestrator's saga. On the wire each value is the lower-case string
/// shown on its member (<c>pending</c>, <c>running</c>, <c>awaitingApproval</c>, …).
/// </summary>
/// <remarks>
/// <see cref="Completed"/>, <see cref="Failed"/>, <see cref="Aborted"/> and <see cref="Cancelled"/> are terminal:
/// the run has ended (a failed run may still be retried, which starts a new generation).
/// </remarks>
[JsonConverter(typeof(JsonStringEnumConverter<RunState>))]
public enum RunState
{
    /// <summary>Admitted, no phase dispatched yet. Wire value <c>pending</c>.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>A phase is executing or about to be dispatched. Wire value <c>running</c>.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Waiting for a human decision at an approval gate. Wire value <c>awaitingApproval</c>.</summary>
    [JsonStringEnumMemberName("awaitingApproval")]
    AwaitingApproval,

    /// <summary>Terminal: every phase completed and every gate was approved. Wire value <c>completed</c>.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>Terminal: a phase, a gate, the budget or the run timeout failed the run; it can be retried. Wire value <c>failed</c>.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Terminal: an approver aborted the run at a gate. Wire value <c>aborted</c>.</summary>
    [JsonStringEnumMemberName("aborted")]
    Aborted,

    /// <summary>Terminal: the run was cancelled through the API or a <see cref="CancelRun"/> command. Wire value <c>cancelled</c>.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
