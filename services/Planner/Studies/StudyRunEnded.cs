using MassTransit;
using RunMesh.Contracts;
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

/// <summary>
/// Every <see cref="RunFinished"/> of the mesh arrives here (queue <c>planner-run-finished</c>); only those of a study's
/// runs (with a <c>studyId</c> label) go on to the study's saga as <see cref="StudyRunEnded"/>. Any other run costs
/// the planner no database work.
/// </summary>
/// <remarks>
/// Idempotent without the inbox: it writes nothing, and the saga applies a run's end once (a run that is no longer
/// running in the study's table is ignored), so a redelivery that publishes it twice changes nothing.
/// </remarks>
internal sealed class StudyRunFinishedRelay : IConsumer<RunFinished>, IIdempotentConsumer
{
    /// <summary>The consumer's queue.</summary>
    public const string EndpointName = "planner-run-finished";

    public Task Consume(ConsumeContext<RunFinished> context)
    {
        var finished = context.Message;
        if (!finished.Labels.TryGetValue("studyId", out var label) || !Guid.TryParse(label, out var studyId))
        {
            return Task.CompletedTask;
        }

        return context.Publish(new StudyRunEnded
        {
            StudyId = studyId,
            RunId = finished.RunId,
            State = finished.State,
            ErrorCode = finished.Error?.Code,
            StartedAt = finished.StartedAt,
            EndedAt = finished.EndedAt,
            Usage = finished.TotalUsage,
            FinalArtifactDigest = finished.State == RunState.Completed && finished.Phases.Count > 0 ? finished.Phases[^1].ArtifactDigest : null,
        }, context.CancellationToken);
    }
}
