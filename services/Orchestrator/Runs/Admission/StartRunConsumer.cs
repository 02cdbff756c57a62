using MassTransit;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>
/// <see cref="StartRun"/> from the bus (the public way other systems start runs): the same admission as the API. A start
/// that cannot be admitted (unknown template, invalid inputs) is answered with a failed <see cref="RunFinished"/> under
/// the sender's run id, so a sender that only listens to the bus learns why.
/// </summary>
internal sealed partial class StartRunConsumer(RunAdmission admission, TimeProvider clock, ILogger<StartRunConsumer> logger) : IConsumer<StartRun>
{
    public async Task Consume(ConsumeContext<StartRun> context)
    {
        var start = context.Message;
        var outcome = await admission.AdmitAsync(start, context, context.CancellationToken);
        var refusal = outcome switch
        {
            AdmissionOutcome.TemplateNotFound notFound => new RunError
            {
                Code = "template_not_found",
                Message = $"No template is registered as '{notFound.Reference}'.",
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
        await context.Publish(new RunFinished
        {
            RunId = start.RunId,
            Generation = 1,
            State = RunState.Failed,
            Error = refusal,
            Template = new TemplateRef { Name = start.Template, Version = 0, Hash = "" },
            InputBundleHash = "",
            Inputs = echo ? start.Inputs : [],
            Model = echo ? start.Model : [],
            Options = start.Options,
            ParentRunId = start.ParentRunId,
            EndedAt = clock.GetUtcNow(),
            Labels = start.Options.Labels,
            ApprovalGates = 0, // no run was created, so nothing can have asked for an approval
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "StartRun {RunId} refused: {Code}")]
    private static partial void LogRefused(ILogger logger, Guid runId, string code);
}
