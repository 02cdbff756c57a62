using MassTransit;
using RunMesh.Hashing;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>
/// Gathers the <see cref="ChildRunFinished"/> of each parent that arrive close together (queue <c>run-children</c>) into
/// one <see cref="ChildRunsFinished"/> for the parent's saga. A hundred children of a fan-out end within a second; one
/// saga pass each would take the parent's row lock a hundred times in turn — rewriting its growing record every time —
/// while each new child's admission reads that row, so children would wait for their siblings' ends to start
/// (docs/benchmarks.md, "Child-run fan-out").
/// </summary>
/// <remarks>
/// An <see cref="IIdempotentConsumer"/>: it writes nothing, and the saga records a child's end once (an end it has
/// recorded already is ignored), so a redelivered batch that is published again changes nothing. The batch's message
/// id is derived from the ids of the messages in it, so the saga's inbox drops an identical batch published twice.
/// </remarks>
internal sealed class ChildRunFinishedBatcher : IConsumer<Batch<ChildRunFinished>>, IIdempotentConsumer
{
    /// <summary>The consumer's queue.</summary>
    public const string EndpointName = "run-children";

    /// <summary>The most ends in one batch (and so the endpoint's prefetch).</summary>
    public const int MessageLimit = 100;

    /// <summary>How long a batch waits for more ends after its first one.</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromMilliseconds(20);

    /// <summary>Batching options: up to <see cref="MessageLimit"/> ends of one parent within <see cref="TimeLimit"/>, four batches at once.</summary>
    public static void Configure(BatchOptions options) =>
        options.SetMessageLimit(MessageLimit).SetTimeLimit(TimeLimit).SetConcurrencyLimit(4)
            .GroupBy<ChildRunFinished, Guid>(context => context.Message.RunId);

    public async Task Consume(ConsumeContext<Batch<ChildRunFinished>> context)
    {
        foreach (var parent in context.Message.GroupBy(m => m.Message.RunId))
        {
            var ends = parent.ToList();
            var batchId = NameBasedId.Of("child-ends:" + string.Join(",", ends.Select(e => e.MessageId?.ToString() ?? e.Message.ChildRunId.ToString()).Order(StringComparer.Ordinal)));
            await context.Publish(
                new ChildRunsFinished { RunId = parent.Key, Children = [.. ends.Select(e => e.Message)] },
                publish => publish.MessageId = batchId,
                context.CancellationToken);
        }
    }
}
