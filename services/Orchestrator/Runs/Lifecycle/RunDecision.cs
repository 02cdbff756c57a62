using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Schemas;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>
/// One input of the run lifecycle, as <see cref="RunDecider"/> takes it: the message (<see cref="StartRun"/> for
/// admission, or one of the state machine's messages) and what had to be read from the database for it beforehand.
/// </summary>
/// <param name="Message">The message.</param>
/// <param name="MessageId">The message's id (the idempotency key of a <c>message.ignored</c> event).</param>
public sealed record RunInput(object Message, Guid? MessageId = null)
{
    /// <summary>
    /// For <see cref="RetryRun"/>: whether the run holds its input bundle (claimed before deciding; false when an
    /// identical run took it meanwhile).
    /// </summary>
    public bool InputBundleHeld { get; init; }

    /// <summary>
    /// The compiled artifact schema of each <c>run</c> phase of the run, by phase key (empty when it has none): the
    /// orchestrator validates the artifact it assembles from the children's.
    /// </summary>
    public IReadOnlyDictionary<string, CompiledSchema> ChildArtifactSchemas { get; init; } = new Dictionary<string, CompiledSchema>();
}

/// <summary>
/// What <see cref="RunDecider"/> decided for one input: where the run goes, why, and every effect outside the run row,
/// in the order <see cref="RunEffects"/> applies them. The run row itself (attempts, usage, phase states, pending
/// approval or retry, error) is changed on the <see cref="RunRecord"/> the decider was given.
/// </summary>
/// <param name="From">The run's state before.</param>
/// <param name="To">The run's state after (the same when the input moved nothing).</param>
/// <param name="Outcome">What was decided; <see langword="null"/> when the input was recorded as <c>message.ignored</c>.</param>
/// <param name="Effects">The effects, in order.</param>
public sealed record RunDecision(RunState From, RunState To, RunOutcome? Outcome, IReadOnlyList<RunEffect> Effects);

/// <summary>An effect of a <see cref="RunDecision"/> outside the run row.</summary>
public abstract record RunEffect
{
    private protected RunEffect()
    {
    }

    /// <summary>Appends an event to the run's log (its <c>seq</c> is given by <see cref="RunEffects"/>).</summary>
    public sealed record AppendEvent(string Type, JsonObject Payload, string IdempotencyKey) : RunEffect;

    /// <summary>Stores what an attempt produced, content-addressed.</summary>
    public sealed record StoreArtifact(string PhaseKey, int Attempt, JsonNode Artifact, string Digest, bool Accepted) : RunEffect;

    /// <summary>Sets one of the run's deadlines, replacing one of the same kind.</summary>
    public sealed record SetDeadline(
        DeadlineKind Kind, DateTimeOffset DueAt, string? PhaseKey = null, int? Attempt = null, Guid? ExecutionId = null, int? Generation = null)
        : RunEffect;

    /// <summary>Removes the run's deadline of <see cref="Kind"/>, or every deadline of the run when <see langword="null"/>.</summary>
    public sealed record ClearDeadline(DeadlineKind? Kind) : RunEffect;

    /// <summary>Publishes a message through the outbox of the transaction.</summary>
    public sealed record Publish(object Message) : RunEffect;

    /// <summary>Frees the run's input bundle for identical starts.</summary>
    public sealed record ReleaseInputBundle : RunEffect;

    /// <summary>Publishes the run's <see cref="RunFinished"/> in <see cref="State"/>, under its id and its aliases'.</summary>
    public sealed record PublishRunFinished(RunState State) : RunEffect;
}
