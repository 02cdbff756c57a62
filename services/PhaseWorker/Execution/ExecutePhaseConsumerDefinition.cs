using MassTransit;
using Microsoft.Extensions.Options;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// The competing-consumer endpoint every worker shares: queue <c>phase-worker</c>, with
/// <see cref="PhaseWorkerOptions.ConcurrentExecutions"/> messages at a time (and prefetched). Deliberately no retry
/// middleware: retries happen in one layer only, the saga's attempts (docs/run-lifecycle.md).
/// </summary>
internal sealed class ExecutePhaseConsumerDefinition : ConsumerDefinition<ExecutePhaseConsumer>
{
    /// <summary>The queue all workers share.</summary>
    public const string QueueName = "phase-worker";

    public ExecutePhaseConsumerDefinition(IOptions<PhaseWorkerOptions> options)
    {
        var concurrency = options.Value.ConcurrentExecutions;
        EndpointName = QueueName;
        ConcurrentMessageLimit = concurrency;
        Endpoint(endpoint =>
        {
            endpoint.Name = QueueName;
            endpoint.PrefetchCount = concurrency;
            endpoint.ConcurrentMessageLimit = concurrency;
        });
    }
}
