using System.Text.Json.Serialization;

namespace RunMesh.Contracts;

/// <summary>A study's state. On the wire each value is the string shown on its member.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StudyState>))]
public enum StudyState
{
    /// <summary>Runs are being started or are in flight. Wire value <c>running</c>.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Every run completed. Wire value <c>completed</c>.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>Some run failed and nothing is left to start, or <c>failFast</c> fired. Wire value <c>failed</c>.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The study was cancelled. Wire value <c>cancelled</c>.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>The study's runs spent its budget; no new run starts. Wire value <c>budget_exhausted</c>.</summary>
    [JsonStringEnumMemberName("budget_exhausted")]
    BudgetExhausted,
}
