using System.Text.Json.Serialization;

namespace RunMesh.Contracts;

/// <summary>
/// The state of one phase of a run. On the wire each value is the lower-case string shown on its member.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<PhaseState>))]
public enum PhaseState
{
    /// <summary>Not dispatched yet. Wire value <c>pending</c>.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>An attempt is dispatched or executing, or a retry is scheduled. Wire value <c>running</c>.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>The artifact is accepted and waits for a decision at one of the phase's gates. Wire value <c>awaitingApproval</c>.</summary>
    [JsonStringEnumMemberName("awaitingApproval")]
    AwaitingApproval,

    /// <summary>The artifact is accepted and every gate approved it. Wire value <c>completed</c>.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>The phase failed the run (attempts exhausted or a gate rejected or aborted it). Wire value <c>failed</c>.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The run was cancelled before this phase ended. Wire value <c>cancelled</c>.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
