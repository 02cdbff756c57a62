using System.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>
/// The measured consumer: one UPDATE of a counter row, then (optionally) a downstream publish. The same code in
/// every mode; only where the transaction comes from differs: the inbox/outbox's (which also captures the publish),
/// its own, or none.
/// </summary>
internal sealed class RowUpdateConsumer(BenchmarkDbContext db, OutboxCell cell) : IConsumer<UpdateRow>
{
    public async Task Consume(ConsumeContext<UpdateRow> context)
    {
        var cancellationToken = context.CancellationToken;
        switch (cell.Mode)
        {
            case StoreMode.Outbox:
                await UpdateAsync(context.Message.Row, cancellationToken);
                break;
            case StoreMode.Plain:
                await using (var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken))
                {
                    await UpdateAsync(context.Message.Row, cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                }

                break;
            case StoreMode.NoDatabase:
                break;
        }

        if (cell.Publish)
        {
            await context.Publish(new RowUpdated { Batch = context.Message.Batch, Row = context.Message.Row }, cancellationToken);
        }
    }

    private Task<int> UpdateAsync(int row, CancellationToken cancellationToken) =>
        db.Counters
            .Where(c => c.Id == row)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.Hits, c => c.Hits + 1).SetProperty(c => c.UpdatedAt, DateTime.UtcNow), cancellationToken);
}
