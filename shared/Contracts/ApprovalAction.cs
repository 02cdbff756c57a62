using System.Text.Json.Serialization;

namespace RunMesh.Contracts;

/// <summary>
/// The decision taken on an approval request. On the wire each value is the lower-case string shown on its member.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ApprovalAction>))]
public enum ApprovalAction
{
    /// <summary>The artifact is approved; the run continues. Wire value <c>approve</c>.</summary>
    [JsonStringEnumMemberName("approve")]
    Approve,

    /// <summary>The artifact is rejected; the run fails with <see cref="ErrorCodes.ApprovalRejected"/>. Wire value <c>reject</c>.</summary>
    [JsonStringEnumMemberName("reject")]
    Reject,

    /// <summary>The run is aborted with <see cref="ErrorCodes.ApprovalAborted"/>. Wire value <c>abort</c>.</summary>
    [JsonStringEnumMemberName("abort")]
    Abort,

    /// <summary>
    /// The request expired before anyone decided; the run fails with <see cref="ErrorCodes.ApprovalExpired"/>.
    /// Only the approval service's expiry scan sends it. Wire value <c>expire</c>.
    /// </summary>
    [JsonStringEnumMemberName("expire")]
    Expire,
}
