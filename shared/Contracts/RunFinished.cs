using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Event: a run reached a terminal state. Published by the orchestrator once per generation (and once more under
/// each alias, see <see cref="AliasOf"/>); consumed by the report service (which answers <see cref="ReportReady"/>)
/// and the approval service (which closes open requests). Other systems may bind a queue to
/// <c>RunMesh.Contracts:RunFinished</c> to learn outcomes. It carries everything the provenance manifest needs.
/// </summary>
public sealed record RunFinished
{
    /// <summary>The finished run, or, when <see cref="AliasOf"/> is set, the alias a deduplicated start used. The correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>
    /// The id of the run that actually executed, when this message is published under an alias (a deduplicated or
    /// joined <see cref="StartRun"/> whose <see cref="StartRun.RunId"/> is <see cref="RunId"/>).
    /// <see langword="null"/> (the default) for the run's own message.
    /// </summary>
    public Guid? AliasOf { get; init; }

    /// <summary>How often the run has finished: 1, then 2 after a retry that finishes again, and so on.</summary>
    public required int Generation { get; init; }

    /// <summary>
    /// The terminal state: only <see cref="RunState.Completed"/>, <see cref="RunState.Failed"/>,
    /// <see cref="RunState.Aborted"/> or <see cref="RunState.Cancelled"/> appear here.
    /// </summary>
    public required RunState State { get; init; }

    /// <summary>Why the run did not complete. <see langword="null"/> (the default) for a completed run.</summary>
    public RunError? Error { get; init; }

    /// <summary>The template the run executed.</summary>
    public required TemplateRef Template { get; init; }

    /// <summary><c>sha256:…</c> of the canonical <c>{templateHash, inputs, model, options without force}</c>.</summary>
    public required string InputBundleHash { get; init; }

    /// <summary>The run's inputs. Default an empty object.</summary>
    public JsonObject Inputs { get; init; } = new();

    /// <summary>The run's model settings. Default an empty object.</summary>
    public JsonObject Model { get; init; } = new();

    /// <summary>The run's options, with defaults applied. Default <c>{ force: false, maxDepth: 3, labels: {} }</c>.</summary>
    public RunOptions Options { get; init; } = new();

    /// <summary>The run that started this one. <see langword="null"/> (the default) for a top-level run.</summary>
    public Guid? ParentRunId { get; init; }

    /// <summary>How deep the run is in a chain of child runs: 0 (the default) for a top-level run, its parent's depth + 1 otherwise.</summary>
    public int Depth { get; init; }

    /// <summary>Every phase of the template, in template order, with its attempts. Default empty.</summary>
    public IReadOnlyList<PhaseSummary> Phases { get; init; } = [];

    /// <summary>The run's last events (at most 20), oldest first. Default empty.</summary>
    public IReadOnlyList<RunEventSummary> LastEvents { get; init; } = [];

    /// <summary>When the run started executing. <see langword="null"/> (the default) when it ended before it started (e.g. cancelled while pending).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the run reached its terminal state.</summary>
    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>What all attempts of the run consumed together. Default zero usage.</summary>
    public Usage TotalUsage { get; init; } = new();

    /// <summary>
    /// How many approval gates the run's template declares, over all its phases. <c>0</c> means the
    /// run never asked for an approval, so the approval service has nothing to close; <see langword="null"/> (the
    /// default, and what an older orchestrator sends) means unknown.
    /// </summary>
    public int? ApprovalGates { get; init; }

    /// <summary>The run's labels (the same as <see cref="RunOptions.Labels"/>), for consumers that filter on them. Default empty.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
