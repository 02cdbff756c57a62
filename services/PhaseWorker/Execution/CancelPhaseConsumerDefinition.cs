using System.Text.RegularExpressions;
using MassTransit;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// <c>CancelPhase</c> is published to every worker, so each instance has its own temporary queue
/// (<c>phase-worker-cancel-{machine}-{pid}</c>; MassTransit declares a temporary endpoint non-durable and exclusive to
/// the worker's connection, so RabbitMQ deletes it when the worker disconnects) bound to the message's exchange. A cancel published while a worker is down is lost for it — harmless: a worker that is down runs
/// nothing, and the saga ignores late results of a cancelled run.
/// </summary>
internal sealed partial class CancelPhaseConsumerDefinition : ConsumerDefinition<CancelPhaseConsumer>
{
    public CancelPhaseConsumerDefinition()
    {
        var name = InstanceQueueName(Environment.MachineName, Environment.ProcessId);
        EndpointName = name;
        Endpoint(endpoint =>
        {
            endpoint.Name = name;
            endpoint.Temporary = true;
        });
    }

    /// <summary>The per-instance queue name, in kebab case.</summary>
    public static string InstanceQueueName(string machine, int processId) =>
        $"phase-worker-cancel-{NotKebab().Replace(machine.ToLowerInvariant(), "-").Trim('-')}-{processId}";

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotKebab();
}
