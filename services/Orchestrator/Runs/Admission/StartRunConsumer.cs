using MassTransit;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>
/// <see cref="StartRun"/> from the bus (the public way other systems start runs): the same admission as the API. A start
/// that cannot be admitted (unknown template, invalid inputs) is answered with a failed <see cref="RunFinished"/> under
/// the sender's run id, so a sender that only listens to the bus learns why.
/// </summary>
internal sealed partial class StartRunConsumer(RunAdmission admission, RunEffects effects, TimeProvider clock, ILogger<StartRunConsumer> logger) : IConsumer<StartRun>
{
    public async Task Consume(ConsumeContext<StartRun> context)
    {
        var start = context.Message;
        var outcome = await admission.AdmitAsync(start, context, context.CancellationToken);
        var refusal = outcome switch
        {
            AdmissionOutcome.TemplateNotFound notFound => new RunError
            {
                Code = ErrorCodes.TemplateNotFound,
                Message = notFound.Message,
            },
            AdmissionOutcome.Refused refused => new RunError
            {
                Code = refused.Code,
                Message = string.Join("; ", refused.Problems.Take(20).Select(p => p.ToString())),
            },
            _ => null,
        };

        if (refusal is null)
        {
            return;
        }

        LogRefused(logger, start.RunId, refusal.Code);

        // Inputs without a canonical form are not echoed: every consumer of RunFinished hashes them (the manifest).
        var echo = RunInputs.FieldWithoutCanonicalForm(start.Inputs, start.Model) is null;
        await effects.PublishRefusalAsync(start, refusal, echo, context, clock.GetUtcNow(), context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "StartRun {RunId} refused: {Code}")]
    private static partial void LogRefused(ILogger logger, Guid runId, string code);
}
