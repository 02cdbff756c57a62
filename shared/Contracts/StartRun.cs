using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Command: start a run of a workflow template. Consumed by the orchestrator; the same admission path as
/// <c>POST /api/runs</c>. Other systems may publish it to the exchange <c>RunMesh.Contracts:StartRun</c>.
/// </summary>
/// <remarks>
/// Without <see cref="RunOptions.Force"/>, a start identical to a completed or in-flight run (same input bundle hash)
/// starts nothing: <see cref="RunId"/> becomes an alias of the existing run, and <see cref="RunFinished"/> is also
/// published under it (with <see cref="RunFinished.AliasOf"/> set).
/// </remarks>
public sealed record StartRun
{
    /// <summary>The new run's id, chosen by the sender, so a retried publish starts one run, not two. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The template to run: <c>name@version</c> (e.g. <c>spec-review@1</c>) or its content hash <c>sha256:…</c>.</summary>
    public required string Template { get; init; }

    /// <summary>The run's inputs, validated against the template's <c>inputs.schema</c>. Default an empty object.</summary>
    public JsonObject Inputs { get; init; } = new();

    /// <summary>Model settings passed to executors (<c>name</c>, <c>temperature</c>, <c>maxTokens</c>, …). Default an empty object.</summary>
    public JsonObject Model { get; init; } = new();

    /// <summary>Run options. Default <c>{ force: false, maxDepth: 3, labels: {} }</c>.</summary>
    public RunOptions Options { get; init; } = new();

    /// <summary>The run that started this one, making it a child run. <see langword="null"/> (the default) for a top-level run.</summary>
    public Guid? ParentRunId { get; init; }

    /// <summary>Who asked for the run (an identity name). <see langword="null"/> (the default) when the sender did not say.</summary>
    public string? RequestedBy { get; init; }
}
