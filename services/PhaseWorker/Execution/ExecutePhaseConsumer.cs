using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// Consumes <see cref="ExecutePhase"/> from the shared queue <c>phase-worker</c> and publishes exactly one result per
/// delivery — <see cref="PhaseSucceeded"/> or <see cref="PhaseAttemptFailed"/> — whose MessageId is derived from the
/// <c>ExecutionId</c>, so a redelivered command's second result is a duplicate the orchestrator's inbox drops.
/// A cancelled execution publishes nothing.
/// </summary>
internal sealed class ExecutePhaseConsumer(PhaseExecution execution) : IConsumer<ExecutePhase>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<ExecutePhase> context)
    {
        var outcome = await execution.RunAsync(context.Message, context.CancellationToken);
        if (outcome.Succeeded is { } succeeded)
        {
            var messageId = DeterministicGuid.ForSucceeded(succeeded.ExecutionId);
            await context.Publish(succeeded, publish => publish.MessageId = messageId);
        }
        else if (outcome.Failed is { } failed)
        {
            var messageId = DeterministicGuid.ForFailed(failed.ExecutionId);
            await context.Publish(failed, publish => publish.MessageId = messageId);
        }
    }
}
