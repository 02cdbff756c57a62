using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Command: execute one attempt of a phase. Published by the orchestrator; the phase workers share the queue
/// <c>phase-worker</c>. It carries everything the stateless worker needs, so the worker looks nothing up.
/// </summary>
/// <remarks>
/// Delivery is at-least-once: a redelivered command may run the executor again, and its result carries the same
/// <see cref="ExecutionId"/>, so the orchestrator applies it once.
/// </remarks>
public sealed record ExecutePhase
{
    /// <summary>The run the phase belongs to. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The phase's key in the template, e.g. <c>spec</c>.</summary>
    public required string PhaseKey { get; init; }

    /// <summary>The attempt number, starting at 1 and counting on across repairs, retries and run retries.</summary>
    public required int Attempt { get; init; }

    /// <summary>A new id for this attempt; the result must carry it back.</summary>
    public required Guid ExecutionId { get; init; }

    /// <summary>The executor to run: <c>mock</c>, <c>openai</c> or <c>http</c>.</summary>
    public required string Executor { get; init; }

    /// <summary>The phase's executor-specific <c>settings</c> from the template. Default an empty object.</summary>
    public JsonObject ExecutorSettings { get; init; } = new();

    /// <summary>The phase's instructions, already rendered (placeholders replaced).</summary>
    public required string Instructions { get; init; }

    /// <summary>The run's inputs. Default an empty object.</summary>
    public JsonObject Inputs { get; init; } = new();

    /// <summary>
    /// The artifacts of earlier phases that the instructions reference (only those), keyed by phase key.
    /// Default an empty object.
    /// </summary>
    public JsonObject ReferencedOutputs { get; init; } = new();

    /// <summary>The JSON Schema (draft 7, local references only) the artifact must satisfy.</summary>
    public required JsonObject ArtifactSchema { get; init; }

    /// <summary>Start-to-close timeout in seconds, enforced by the worker on the executor.</summary>
    public required int TimeoutSeconds { get; init; }

    /// <summary>The run's model settings (<c>name</c>, <c>temperature</c>, <c>maxTokens</c>, …). Default an empty object.</summary>
    public JsonObject Model { get; init; } = new();

    /// <summary>
    /// For a repair attempt, the validation errors of the previous attempt's artifact, fed back to the executor.
    /// <see langword="null"/> (the default) for any other attempt.
    /// </summary>
    public IReadOnlyList<string>? RepairFeedback { get; init; }

    /// <summary>What is left of the run's budget. <see langword="null"/> (the default) when the run has no budget.</summary>
    public Budget? BudgetRemaining { get; init; }
}
