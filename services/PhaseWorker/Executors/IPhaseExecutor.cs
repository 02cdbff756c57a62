using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>
/// Produces a phase's artifact. An executor only executes: the worker enforces the timeout, validates the artifact
/// and reports the result. It signals its own failures with <see cref="ExecutorException"/> and honours
/// <c>cancellationToken</c> (timeout or <c>CancelPhase</c>).
/// </summary>
internal interface IPhaseExecutor
{
    /// <summary>The name templates use in <c>executor:</c> (<c>mock</c>, <c>openai</c>, <c>http</c>).</summary>
    string Name { get; }

    /// <summary>Executes one attempt of a phase.</summary>
    Task<ExecutorResult> ExecuteAsync(ExecutePhase command, CancellationToken cancellationToken);
}

/// <summary>What an executor produced: the (not yet validated) artifact and what producing it consumed.</summary>
internal sealed record ExecutorResult(JsonNode? Artifact, Usage Usage);
