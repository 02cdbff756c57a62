using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>
/// Internal to the orchestrator: a child run that a <c>run</c> phase started has ended (or was refused at admission).
/// Sent to the parent's saga by whoever learns it — the child's own end, the end of the run a deduplicated child was
/// joined to, or admission refusing or answering the child at once — through the outbox of that transaction. Only the
/// orchestrator may publish to its exchange, so it cannot be forged from outside; the parent still checks that the
/// run that executed had the inputs it asked for (<see cref="InputsDigest"/>).
/// </summary>
public sealed record ChildRunFinished
{
    /// <summary>The parent run (the correlation id).</summary>
    public required Guid RunId { get; init; }

    /// <summary>The child's id as the parent named it (an alias when the start was deduplicated onto another run).</summary>
    public required Guid ChildRunId { get; init; }

    /// <summary>The child's terminal state.</summary>
    public required RunState State { get; init; }

    /// <summary>Why the child did not complete; <see langword="null"/> when it completed.</summary>
    public RunError? Error { get; init; }

    /// <summary>What the child's attempts consumed (counted toward the parent's usage and budget).</summary>
    public Usage Usage { get; init; } = new();

    /// <summary>The accepted artifact of the child's last phase, when it completed.</summary>
    public JsonNode? Artifact { get; init; }

    /// <summary><c>sha256:</c> digest of <see cref="Artifact"/>.</summary>
    public string? ArtifactDigest { get; init; }

    /// <summary>The template the child executed; <see langword="null"/> when admission refused it before resolving one.</summary>
    public TemplateRef? Template { get; init; }

    /// <summary><c>sha256:</c> digest of the inputs the child executed with; <see langword="null"/> when it was refused.</summary>
    public string? InputsDigest { get; init; }

    /// <summary>When the child ended.</summary>
    public DateTimeOffset EndedAt { get; init; }
}
