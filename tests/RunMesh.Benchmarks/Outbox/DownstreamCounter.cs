using MassTransit;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>Counts the downstream messages that arrive (distinct message ids and copies) on its own queue.</summary>
internal sealed class DownstreamCounter(CellProgress progress) : IConsumer<RowUpdated>
{
    public Task Consume(ConsumeContext<RowUpdated> context)
    {
        progress.Delivered(context.Message.Batch, context.MessageId ?? Guid.Empty);
        return Task.CompletedTask;
    }
}
