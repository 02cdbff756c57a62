using System.Text.Json.Nodes;
using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.Planner.Studies;

/// <summary>
/// A study: the saga instance of <see cref="StudyStateMachine"/> and the study's permanent record (table
/// <c>studies</c>). Its planned runs are <see cref="StudyRunRow"/>s; the counts here are kept in step with them in the
/// same transaction.
/// </summary>
public sealed class StudyRecord : SagaStateMachineInstance
{
    /// <summary>The study id: UUIDv5 of the definition's digest.</summary>
    public Guid CorrelationId { get; set; }

    /// <summary>Postgres <c>xmin</c>: a safety net behind the repository's row lock.</summary>
    public uint RowVersion { get; set; }

    /// <summary>The state machine's state name (<c>Running</c>, <c>Completed</c>, …); read and set it as <see cref="State"/>.</summary>
    public string CurrentState { get; set; } = "";

    /// <summary>The study's state (<see cref="CurrentState"/> as the contract's enum). Not a column of its own.</summary>
    public StudyState State
    {
        get => Enum.Parse<StudyState>(CurrentState);
        set => CurrentState = value.ToString();
    }

    public string Name { get; set; } = "";

    /// <summary>The template the runs start, as resolved when the study was planned.</summary>
    public TemplateRef Template { get; set; } = null!;

    /// <summary>The definition as submitted (JSON; YAML is converted), the source of every run's inputs and model.</summary>
    public JsonObject Definition { get; set; } = new();

    /// <summary><c>sha256:</c> of the canonical definition; the study id is derived from it.</summary>
    public string DefinitionDigest { get; set; } = "";

    /// <summary>The factor keys, in the definition's order (the results table's factor columns).</summary>
    public List<string> FactorKeys { get; set; } = [];

    public int Parallelism { get; set; }

    public bool FailFast { get; set; }

    /// <summary>No new run starts once the study's runs spent this.</summary>
    public Budget? Budget { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];

    public int PlannedRuns { get; set; }

    public int Pending { get; set; }

    public int Running { get; set; }

    public int Completed { get; set; }

    public int Failed { get; set; }

    public int Cancelled { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }

    public decimal CostUsd { get; set; }

    /// <summary>Where the study goes once its running runs have ended: set by <c>failFast</c>, the budget or a cancel; no run starts meanwhile.</summary>
    public StudyState? StoppingAs { get; set; }

    /// <summary>How often the study was started: 1, then + 1 for each resume.</summary>
    public int Generation { get; set; }

    /// <summary>The last event sequence number handed out (the progress stream's ids).</summary>
    public long EventSeq { get; set; }

    public string? RequestedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The counts as the contract carries them.</summary>
    public StudyCounts Counts => new() { Pending = Pending, Running = Running, Completed = Completed, Failed = Failed, Cancelled = Cancelled };

    /// <summary>What the study's runs consumed.</summary>
    public Usage Usage => new() { InputTokens = InputTokens, OutputTokens = OutputTokens, CostUsd = CostUsd };
}
