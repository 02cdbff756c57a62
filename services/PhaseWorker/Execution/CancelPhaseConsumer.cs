using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// Consumes the fan-out <see cref="CancelPhase"/>: if this worker runs the execution, its executor's token is
/// cancelled (and it publishes no result); either way the id is remembered so a still-queued copy is not started.
/// </summary>
internal sealed partial class CancelPhaseConsumer(RunningExecutions running, ILogger<CancelPhaseConsumer> logger) : IConsumer<CancelPhase>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<CancelPhase> context)
    {
        if (running.Cancel(context.Message.ExecutionId))
        {
            LogCancelling(logger, context.Message.ExecutionId, context.Message.RunId);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CancelPhase for {ExecutionId} (run {RunId}): aborting its executor")]
    private static partial void LogCancelling(ILogger logger, Guid executionId, Guid runId);
}
