using System.Text.Json.Serialization;

namespace RunMesh.Contracts;

/// <summary>
/// Why a phase attempt failed, as reported in <see cref="PhaseAttemptFailed.Kind"/> and
/// <see cref="AttemptSummary.ErrorKind"/>. On the wire each value is the lower-case string shown on its member.
/// </summary>
/// <remarks>
/// <see cref="InvalidArtifact"/> consumes the phase's repair allowance; <see cref="ExecutorError"/> and
/// <see cref="Timeout"/> consume its retry allowance.
/// </remarks>
[JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))]
public enum FailureKind
{
    /// <summary>The artifact failed validation against the phase's JSON Schema. Wire value <c>invalid_artifact</c>.</summary>
    [JsonStringEnumMemberName("invalid_artifact")]
    InvalidArtifact,

    /// <summary>The executor itself failed. Wire value <c>executor_error</c>.</summary>
    [JsonStringEnumMemberName("executor_error")]
    ExecutorError,

    /// <summary>The executor did not finish within the phase's timeout. Wire value <c>timeout</c>.</summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,

    /// <summary>
    /// A child run of a <c>run</c> phase ended without completing (failed, aborted or cancelled, or refused at
    /// admission). Wire value <c>child_failed</c>. Consumes the retry allowance; the next attempt starts new children
    /// only for the items that did not complete.
    /// </summary>
    [JsonStringEnumMemberName("child_failed")]
    ChildFailed,
}
