using MassTransit;
using Npgsql;

namespace RunMesh.Benchmarks.Runs.RawChain;

/// <summary>The chain's shape and its one database (a plain transaction per step: BEGIN, one statement, COMMIT).</summary>
internal sealed record RawChainSetup(int Phases, int ExecutorMs, NpgsqlDataSource Database, CompletionTracker Tracker)
{
    public async Task InTransactionAsync(string sql, Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            command.Parameters.AddWithValue("id", runId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}

/// <summary>The saga's hops without the saga: a row update per message in a plain transaction, then the next message.</summary>
internal sealed class ChainSagaConsumer(RawChainSetup setup) :
    IConsumer<ChainSucceeded>, IConsumer<ChainReportReady>
{
    public async Task Consume(ConsumeContext<ChainSucceeded> context)
    {
        var (runId, phase) = (context.Message.RunId, context.Message.Phase);
        if (phase < setup.Phases)
        {
            await setup.InTransactionAsync("UPDATE chain_runs SET phase = phase + 1, updated_at = now() WHERE run_id = @id", runId, context.CancellationToken);
            await context.Publish(new ChainExecute { RunId = runId, Phase = phase + 1 }, context.CancellationToken);
            return;
        }

        await setup.InTransactionAsync("UPDATE chain_runs SET state = 'completed', updated_at = now() WHERE run_id = @id", runId, context.CancellationToken);
        // Completed is committed: this is where RunMesh appends run.completed.
        setup.Tracker.Complete(runId);
        await context.Publish(new ChainFinished { RunId = runId }, context.CancellationToken);
    }

    public Task Consume(ConsumeContext<ChainReportReady> context) =>
        setup.InTransactionAsync("UPDATE chain_runs SET reported = true WHERE run_id = @id", context.Message.RunId, context.CancellationToken);
}

/// <summary>The worker's hop: no database (as the phase worker), the executor's wait, the result.</summary>
internal sealed class ChainWorkerConsumer(RawChainSetup setup) : IConsumer<ChainExecute>
{
    public async Task Consume(ConsumeContext<ChainExecute> context)
    {
        if (setup.ExecutorMs > 0)
        {
            await Task.Delay(setup.ExecutorMs, context.CancellationToken);
        }

        await context.Publish(new ChainSucceeded { RunId = context.Message.RunId, Phase = context.Message.Phase }, context.CancellationToken);
    }
}

/// <summary>The report service's hop: store a row, answer ReportReady.</summary>
internal sealed class ChainReportConsumer(RawChainSetup setup) : IConsumer<ChainFinished>
{
    public async Task Consume(ConsumeContext<ChainFinished> context)
    {
        await setup.InTransactionAsync("INSERT INTO chain_reports (run_id, at) VALUES (@id, now())", context.Message.RunId, context.CancellationToken);
        await context.Publish(new ChainReportReady { RunId = context.Message.RunId }, context.CancellationToken);
    }
}

/// <summary>
/// The approval service's hop on RunFinished of a run whose template has no gate: the delivery, and no transaction
/// (RunMesh's approval service has nothing to close for such a run).
/// </summary>
internal sealed class ChainApprovalConsumer : IConsumer<ChainFinished>
{
    public Task Consume(ConsumeContext<ChainFinished> context) => Task.CompletedTask;
}
