using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// The run: the saga instance of <see cref="RunStateMachine"/> and the run's permanent record. Terminal states keep the
/// row (it still receives <see cref="ReportReady"/>, and a failed run can be retried).
/// </summary>
public sealed class RunRecord : SagaStateMachineInstance
{
    /// <summary>The run id.</summary>
    public Guid CorrelationId { get; set; }

    /// <summary>Postgres <c>xmin</c>: a safety net behind the repository's row lock.</summary>
    public uint RowVersion { get; set; }

    /// <summary>The state machine's state name (<c>Pending</c>, <c>Running</c>, …); read and set it as <see cref="State"/>.</summary>
    public string CurrentState { get; set; } = "";

    /// <summary>The run's state (<see cref="CurrentState"/> as the contract's enum). Not a column of its own.</summary>
    [JsonIgnore]
    public RunState State
    {
        get => RunStates.Of(CurrentState);
        set => CurrentState = RunStates.NameOf(value);
    }

    /// <summary>The template's name (also in <see cref="Definition"/>; a column of its own for listing and filtering).</summary>
    public string TemplateName { get; set; } = "";

    /// <summary>The template's version.</summary>
    public int TemplateVersion { get; set; }

    /// <summary>The run's labels (a column of its own for <c>?label=</c> filters).</summary>
    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>The run that started this one (also in <see cref="Definition"/>; a column of its own for <c>?parent=</c>).</summary>
    public Guid? ParentRunId { get; set; }

    /// <summary>Who started the run (the gateway identity, or <c>StartRun.RequestedBy</c>).</summary>
    public string? RequestedBy { get; set; }

    /// <summary>What the run executes; fixed at admission.</summary>
    public RunDefinition Definition { get; set; } = null!;

    /// <summary>Progress of every phase, in template order.</summary>
    public List<PhaseProgress> Phases { get; set; } = [];

    /// <summary>The accepted artifact of each completed phase, by phase key (rendering input for later phases).</summary>
    public JsonObject Outputs { get; set; } = new();

    /// <summary>Index into <see cref="Phases"/> of the phase being worked on.</summary>
    public int PhaseIndex { get; set; }

    /// <summary>What every attempt consumed so far.</summary>
    public Usage Usage { get; set; } = new();

    /// <summary>The last event sequence number handed out; the next event gets <c>EventSeq + 1</c> (gap-free: the row is locked).</summary>
    public long EventSeq { get; set; }

    /// <summary>How often the run has finished (0 until it first does).</summary>
    public int Generation { get; set; }

    /// <summary>Why the run did not complete, when it did not.</summary>
    public RunError? Error { get; set; }

    /// <summary>The approval the run waits on, while it does.</summary>
    public PendingApproval? Approval { get; set; }

    /// <summary>A retry waiting for its backoff to elapse, while one does.</summary>
    public PendingRetry? Retry { get; set; }

    /// <summary>When the run was admitted.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it started executing.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When it last reached a terminal state.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Where the latest report is (gateway-relative), once the report service has written it.</summary>
    public string? ReportUrl { get; set; }

    /// <summary>The generation <see cref="ReportUrl"/> describes.</summary>
    public int? ReportGeneration { get; set; }

    /// <summary>The phase being worked on.</summary>
    public PhaseProgress CurrentPhase => Phases[PhaseIndex];

    /// <summary>The plan of the phase being worked on.</summary>
    public PhasePlan CurrentPlan => Definition.Phases[PhaseIndex];
}

/// <summary>Everything a run executes, fixed when it is admitted.</summary>
public sealed record RunDefinition
{
    /// <summary>The template.</summary>
    public required TemplateRef Template { get; init; }

    /// <summary><c>sha256</c> of the canonical <c>{templateHash, inputs, model, options without force}</c>.</summary>
    public required string InputBundleHash { get; init; }

    /// <summary>The run's inputs.</summary>
    public JsonObject Inputs { get; init; } = new();

    /// <summary>The model settings.</summary>
    public JsonObject Model { get; init; } = new();

    /// <summary>The options, defaults applied.</summary>
    public RunOptions Options { get; init; } = new();

    /// <summary>The effective budget: the template's, lowered by the run's options.</summary>
    public Budget? Budget { get; init; }

    /// <summary>The whole run's timeout.</summary>
    public int TimeoutSeconds { get; init; }

    /// <summary>The run that started this one.</summary>
    public Guid? ParentRunId { get; init; }

    /// <summary>0 for a top-level run.</summary>
    public int Depth { get; init; }

    /// <summary>Who started it.</summary>
    public string? RequestedBy { get; init; }

    /// <summary>The phases to execute, in order.</summary>
    public required IReadOnlyList<PhasePlan> Phases { get; init; }
}

/// <summary>One phase as the run executes it: a snapshot of the template's phase, defaults applied.</summary>
public sealed record PhasePlan
{
    /// <summary>The phase key.</summary>
    public required string Key { get; init; }

    /// <summary><c>mock</c>, <c>openai</c> or <c>http</c>.</summary>
    public required string Executor { get; init; }

    /// <summary>Executor-specific settings.</summary>
    public JsonObject Settings { get; init; } = new();

    /// <summary>The instructions before rendering (with <c>{{…}}</c> references).</summary>
    public required string Instructions { get; init; }

    /// <summary>The schema the artifact must satisfy.</summary>
    public required JsonObject ArtifactSchema { get; init; }

    /// <summary><c>sha256</c> of the schema's canonical JSON.</summary>
    public required string SchemaDigest { get; init; }

    /// <summary>Extra attempts after an invalid artifact.</summary>
    public int RepairAttempts { get; init; } = 1;

    /// <summary>Total attempts that may end in an executor error or timeout (the first included).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Backoff before the first retry.</summary>
    public double BackoffSeconds { get; init; } = 1;

    /// <summary>Factor applied to the backoff for each further retry.</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>Start-to-close timeout of an attempt, enforced by the worker.</summary>
    public int TimeoutSeconds { get; init; } = 300;

    /// <summary>The approval gates after the phase, in order.</summary>
    public IReadOnlyList<GatePlan> Gates { get; init; } = [];
}

/// <summary>An approval gate: a name and an optional expiry.</summary>
public sealed record GatePlan(string Name, int? ExpiresAfterSeconds = null);

/// <summary>How one phase of a run is doing.</summary>
public sealed class PhaseProgress
{
    /// <summary>The phase key.</summary>
    public required string Key { get; init; }

    /// <summary>The phase state.</summary>
    public PhaseState State { get; set; } = PhaseState.Pending;

    /// <summary>Every attempt, in order.</summary>
    public List<AttemptRecord> Attempts { get; set; } = [];

    /// <summary>Attempts since the allowances were last reset (a retry of the run resets them).</summary>
    public int AllowanceStart { get; set; } = 1;

    /// <summary>The digest of the instructions the last attempt was sent.</summary>
    public string? InstructionsDigest { get; set; }

    /// <summary>The accepted artifact's digest.</summary>
    public string? ArtifactDigest { get; set; }

    /// <summary>The next gate to ask for, after the phase succeeded.</summary>
    public int GateIndex { get; set; }

    /// <summary>When the first attempt was dispatched.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the phase ended.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>For a <c>run</c> phase: every child run its attempts started, in the order they were started.</summary>
    public List<ChildRecord> Children { get; set; } = [];

    /// <summary>Every approval decision applied at the phase's gates, in order (kept across retries of the run, like the attempts).</summary>
    public List<ApprovalSummary> Approvals { get; set; } = [];

    /// <summary>The attempt still waiting for its outcome, if any.</summary>
    [JsonIgnore]
    public AttemptRecord? OpenAttempt => Attempts.Count > 0 && Attempts[^1].Outcome is null ? Attempts[^1] : null;

    /// <summary>The highest attempt number so far (0 before the first).</summary>
    [JsonIgnore]
    public int LastAttempt => Attempts.Count == 0 ? 0 : Attempts[^1].Attempt;

    /// <summary>Attempts within the current allowance that ended with <paramref name="outcomes"/>.</summary>
    public int CountSinceAllowance(params AttemptOutcome[] outcomes) =>
        Attempts.Count(a => a.Attempt >= AllowanceStart && a.Outcome is { } o && outcomes.Contains(o));
}

/// <summary>One attempt of a phase.</summary>
public sealed class AttemptRecord
{
    /// <summary>The attempt number (counting on across retries of the run).</summary>
    public required int Attempt { get; init; }

    /// <summary>The execution id a worker reports its result under.</summary>
    public required Guid ExecutionId { get; init; }

    /// <summary>When the orchestrator dispatched it.</summary>
    public required DateTimeOffset DispatchedAt { get; init; }

    /// <summary>When the deadline scan gives up on it.</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>The outcome, once known.</summary>
    public AttemptOutcome? Outcome { get; set; }

    /// <summary>What went wrong, for failed attempts.</summary>
    public FailureKind? ErrorKind { get; set; }

    /// <summary>Validation or executor errors, for failed attempts.</summary>
    public List<string> Errors { get; set; } = [];

    /// <summary>When the worker started it.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>What it consumed.</summary>
    public Usage Usage { get; set; } = new();

    /// <summary>The digest of what it produced (valid or not).</summary>
    public string? ArtifactDigest { get; set; }
}

/// <summary>The approval a run waits on.</summary>
public sealed record PendingApproval(Guid RequestId, string PhaseKey, int Attempt, string Gate, string ArtifactDigest);

/// <summary>A retry waiting for its backoff: the next attempt's number and its feedback.</summary>
public sealed record PendingRetry(string PhaseKey, int NextAttempt, DateTimeOffset DueAt);

/// <summary>A child run started by an attempt of a <c>run</c> phase.</summary>
public sealed class ChildRecord
{
    /// <summary>The item's position (0 without <c>forEach</c>).</summary>
    public required int Index { get; init; }

    /// <summary>The parent's attempt that started it.</summary>
    public required int Attempt { get; init; }

    /// <summary>The child's run id: the name-based id of <c>{ExecutionId}:{index}</c>.</summary>
    public required Guid RunId { get; init; }

    /// <summary><c>sha256:</c> digest of the inputs it was started with (a finished child must report the same).</summary>
    public required string InputsDigest { get; init; }

    /// <summary><see cref="RunState.Running"/> while the parent waits on it, then its terminal state.</summary>
    public RunState State { get; set; } = RunState.Running;

    /// <summary>Why it did not complete, when it did not.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>When the parent started it.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>What it consumed (added to the parent's usage when it ended).</summary>
    public Usage Usage { get; set; } = new();

    /// <summary>Its last phase's accepted artifact, kept until the attempt's artifact is assembled.</summary>
    public JsonNode? Artifact { get; set; }

    /// <summary>The digest of that artifact.</summary>
    public string? ArtifactDigest { get; set; }
}
