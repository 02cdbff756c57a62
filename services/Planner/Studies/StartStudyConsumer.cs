using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.Planner.Studies;

/// <summary>
/// <see cref="StartStudy"/> from the bus (the public way other systems start studies): the same admission as the API.
/// A definition that cannot be admitted is answered with a failed <see cref="StudyFinished"/> whose
/// <see cref="StudyFinished.Problems"/> say why, so a sender that only listens to the bus learns it.
/// </summary>
internal sealed partial class StartStudyConsumer(StudyAdmission admission, ILogger<StartStudyConsumer> logger) : IConsumer<StartStudy>
{
    /// <summary>The consumer's queue.</summary>
    public const string EndpointName = "start-study";

    public async Task Consume(ConsumeContext<StartStudy> context)
    {
        var outcome = await admission.AdmitAsync(context.Message.StudyDefinition, context.Message.RequestedBy, dryRun: false, context, context.CancellationToken);
        var (studyId, problems) = outcome switch
        {
            StudyAdmissionOutcome.Invalid invalid => (invalid.StudyId ?? Guid.Empty, invalid.Problems.Select(p => p.ToString()).ToList()),
            StudyAdmissionOutcome.TemplateUnknowable unknowable => (unknowable.StudyId, [unknowable.Reason]),
            _ => (Guid.Empty, (List<string>?)null),
        };
        if (problems is null)
        {
            return;
        }

        LogRefused(logger, studyId, problems.Count);
        await context.Publish(new StudyFinished
        {
            StudyId = studyId,
            State = StudyState.Failed,
            Counts = new StudyCounts(),
            Problems = problems.Take(50).ToList(),
        }, context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "StartStudy {StudyId} refused: {Problems} problem(s)")]
    private static partial void LogRefused(ILogger logger, Guid studyId, int problems);
}
