using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Event: an attempt of a phase produced an artifact that satisfies the phase's schema. Published by a phase worker,
/// consumed by the orchestrator, which applies it once per <see cref="ExecutionId"/>.
/// </summary>
public sealed record PhaseSucceeded
{
    /// <summary>The run the phase belongs to. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The phase's key in the template.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt number from <see cref="ExecutePhase.Attempt"/>.</summary>
    public required int Attempt { get; init; }

    /// <summary>The execution this result belongs to (<see cref="ExecutePhase.ExecutionId"/>).</summary>
    public required Guid ExecutionId { get; init; }

    /// <summary>The artifact the executor produced.</summary>
    public required JsonNode Artifact { get; init; }

    /// <summary><c>sha256:…</c> of the artifact's canonical JSON; the orchestrator verifies it again.</summary>
    public required string ArtifactDigest { get; init; }

    /// <summary>What the attempt consumed. Default zero usage.</summary>
    public Usage Usage { get; init; } = new();

    /// <summary>When the executor started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the executor ended.</summary>
    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>The worker instance that executed the attempt, for diagnostics. <see langword="null"/> (the default) when unknown.</summary>
    public string? WorkerId { get; init; }
}
