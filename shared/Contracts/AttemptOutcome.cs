using System.Text.Json.Serialization;

namespace RunMesh.Contracts;

/// <summary>
/// How one attempt of a phase ended. On the wire each value is the lower-case string shown on its member.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptOutcome>))]
public enum AttemptOutcome
{
    /// <summary>The executor produced an artifact that satisfied the phase's schema. Wire value <c>succeeded</c>.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>The executor produced an artifact that failed schema validation. Wire value <c>invalid_artifact</c>.</summary>
    [JsonStringEnumMemberName("invalid_artifact")]
    InvalidArtifact,

    /// <summary>The executor failed (an exception, an HTTP error, a refused call). Wire value <c>executor_error</c>.</summary>
    [JsonStringEnumMemberName("executor_error")]
    ExecutorError,

    /// <summary>The attempt exceeded its timeout, reported by the worker or by the orchestrator's deadline scan. Wire value <c>timeout</c>.</summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,

    /// <summary>The run was cancelled while the attempt was in flight. Wire value <c>cancelled</c>.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>A child run of the attempt (a <c>run</c> phase) ended without completing. Wire value <c>child_failed</c>.</summary>
    [JsonStringEnumMemberName("child_failed")]
    ChildFailed,
}
