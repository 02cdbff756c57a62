using MassTransit;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Planner.Studies;

/// <summary>Internal to the planner: a run of a study ended — what its <see cref="RunFinished"/> said that the study keeps.</summary>
public sealed record StudyRunEnded
{
    /// <summary>The study (the correlation id).</summary>
    public required Guid StudyId { get; init; }

    /// <summary>The run, as the study planned it (its <c>RunFinished</c>'s <c>RunId</c>, an alias or not).</summary>
    public required Guid RunId { get; init; }

    public required RunState State { get; init; }

    public string? ErrorCode { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public required DateTimeOffset EndedAt { get; init; }

    public Usage Usage { get; init; } = new();

    /// <summary>The accepted artifact digest of the run's last phase, when it completed.</summary>
    public string? FinalArtifactDigest { get; init; }
}

/// <summary>Internal to the planner: runs of one study ended, gathered by <see cref="StudyRunFinishedRelay"/> so the study's saga takes them in one pass.</summary>
public sealed record StudyRunsEnded
{
    /// <summary>The study (the correlation id).</summary>
    public required Guid StudyId { get; init; }

    /// <summary>The ends, each with <see cref="StudyRunEnded.StudyId"/> equal to <see cref="StudyId"/>.</summary>
    public required IReadOnlyList<StudyRunEnded> Runs { get; init; }
}

/// <summary>
/// Every <see cref="RunFinished"/> of the mesh arrives here (queue <c>planner-run-finished</c>); only those of a study's
/// runs (with a <c>studyId</c> label) go on to the study's saga, gathered per study — those that arrive within
/// <see cref="TimeLimit"/>, up to <see cref="MessageLimit"/> — into one <see cref="StudyRunsEnded"/>. A study of 64
/// parallel runs ends dozens of runs a second: one saga pass each would take the study's row lock, load it and
/// commit for every run (docs/benchmarks.md, "Studies"). Any other run costs the planner no database work.
/// </summary>
/// <remarks>
/// Idempotent without the inbox: it writes nothing, and the saga applies a run's end once (a run that is no longer
/// running in the study's table is ignored), so a redelivery that publishes it again changes nothing. The batch's
/// message id derives from the ids of the messages in it, so the saga's inbox drops an identical batch published twice.
/// </remarks>
internal sealed class StudyRunFinishedRelay : IConsumer<Batch<RunFinished>>, IIdempotentConsumer
{
    /// <summary>The consumer's queue.</summary>
    public const string EndpointName = "planner-run-finished";

    /// <summary>The most ends in one batch.</summary>
    public const int MessageLimit = 64;

    /// <summary>How long a batch waits for more ends after its first one.</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromMilliseconds(20);

    /// <summary>Batching options: up to <see cref="MessageLimit"/> ends of one study within <see cref="TimeLimit"/>, four batches at once.</summary>
    public static void Configure(BatchOptions options) =>
        options.SetMessageLimit(MessageLimit).SetTimeLimit(TimeLimit).SetConcurrencyLimit(4)
            .GroupBy<RunFinished, Guid>(context => StudyOf(context.Message));

    public async Task Consume(ConsumeContext<Batch<RunFinished>> context)
    {
        var ofStudies = context.Message
            .Select(m => (StudyId: StudyOf(m.Message), m.MessageId, m.Message))
            .Where(m => m.StudyId is not null)
            .GroupBy(m => m.StudyId!.Value);
        foreach (var study in ofStudies)
        {
            var ends = study.ToList();
            var batchId = NameBasedId.Of("study-run-ends:" + string.Join(",", ends.Select(e => e.MessageId?.ToString() ?? e.Message.RunId.ToString()).Order(StringComparer.Ordinal)));
            await context.Publish(
                new StudyRunsEnded { StudyId = study.Key, Runs = [.. ends.Select(e => EndOf(study.Key, e.Message))] },
                publish => publish.MessageId = batchId,
                context.CancellationToken);
        }
    }

    private static Guid? StudyOf(RunFinished finished) =>
        finished.Labels.TryGetValue("studyId", out var label) && Guid.TryParse(label, out var studyId) ? studyId : null;

    private static StudyRunEnded EndOf(Guid studyId, RunFinished finished) => new()
    {
        StudyId = studyId,
        RunId = finished.RunId,
        State = finished.State,
        ErrorCode = finished.Error?.Code,
        StartedAt = finished.StartedAt,
        EndedAt = finished.EndedAt,
        Usage = finished.TotalUsage,
        FinalArtifactDigest = finished.State == RunState.Completed && finished.Phases.Count > 0 ? finished.Phases[^1].ArtifactDigest : null,
    };
}
