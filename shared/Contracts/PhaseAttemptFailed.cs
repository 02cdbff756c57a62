using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Event: an attempt of a phase failed. Published by a phase worker, consumed by the orchestrator, which repairs,
/// retries or fails the run depending on <see cref="Kind"/> and the allowances left.
/// </summary>
public sealed record PhaseAttemptFailed
{
    /// <summary>The run the phase belongs to. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The phase's key in the template.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt number from <see cref="ExecutePhase.Attempt"/>.</summary>
    public required int Attempt { get; init; }

    /// <summary>The execution this result belongs to (<see cref="ExecutePhase.ExecutionId"/>).</summary>
    public required Guid ExecutionId { get; init; }

    /// <summary>Why the attempt failed.</summary>
    public required FailureKind Kind { get; init; }

    /// <summary>
    /// What went wrong, readable: the schema validation errors for <see cref="FailureKind.InvalidArtifact"/> (fed back as
    /// <see cref="ExecutePhase.RepairFeedback"/>), otherwise a description of the executor failure. Default empty.
    /// </summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>
    /// The invalid artifact, kept for provenance. <see langword="null"/> (the default) when the executor produced none.
    /// </summary>
    public JsonNode? Artifact { get; init; }

    /// <summary>What the attempt consumed (a failed attempt may still cost). Default zero usage.</summary>
    public Usage Usage { get; init; } = new();

    /// <summary>When the executor started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the executor ended or was given up on.</summary>
    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>The worker instance that executed the attempt, for diagnostics. <see langword="null"/> (the default) when unknown.</summary>
    public string? WorkerId { get; init; }
}
