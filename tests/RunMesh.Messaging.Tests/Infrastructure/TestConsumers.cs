using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>What the listening endpoints received, in arrival order.</summary>
public sealed class Observed
{
    private readonly TaskCompletionSource _firstDeposit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<(DepositRecorded Message, bool LedgerRowVisible)> Deposits { get; } = new();

    public ConcurrentQueue<StepEmitted> Steps { get; } = new();

    public Task FirstDeposit => _firstDeposit.Task;

    public void Add(DepositRecorded message, bool ledgerRowVisible)
    {
        Deposits.Enqueue((message, ledgerRowVisible));
        _firstDeposit.TrySetResult();
    }
}

/// <summary>Writes a ledger row and publishes <see cref="DepositRecorded"/>; throws afterwards when asked to.</summary>
public sealed class RecordDepositConsumer(LedgerDbContext db, Observed observed) : IConsumer<RecordDeposit>
{
    /// <summary>How long the consumer keeps its transaction open after publishing, giving an early delivery the chance to show.</summary>
    public static readonly TimeSpan HoldAfterPublish = TimeSpan.FromSeconds(1);

    public async Task Consume(ConsumeContext<RecordDeposit> context)
    {
        db.Entries.Add(new LedgerEntry { AccountId = context.Message.AccountId, Amount = context.Message.Amount });
        await db.SaveChangesAsync(context.CancellationToken);
        await context.Publish(new DepositRecorded(context.Message.AccountId, context.Message.Amount));

        // Were the publish sent straight to the broker, the listener would receive it now, while this transaction
        // is still open, and record that it could not see the ledger row. Wait (bounded) for that to happen.
        await Task.WhenAny(observed.FirstDeposit, Task.Delay(HoldAfterPublish, context.CancellationToken));

        if (context.Message.FailFirstAttemptWith is { } sqlState && context.GetRetryAttempt() == 0)
        {
            // What Npgsql throws when the transaction lost a race (40001) or was chosen as a deadlock victim (40P01).
            throw new PostgresException("the transaction lost a race", "ERROR", "ERROR", sqlState);
        }

        if (context.Message.Fail)
        {
            throw new InvalidOperationException("The deposit handler failed after publishing.");
        }
    }
}

/// <summary>An <see cref="IIdempotentConsumer"/>: publishes <see cref="DepositRecorded"/> straight to the broker.</summary>
public sealed class AnnounceDepositConsumer : IConsumer<AnnounceDeposit>, IIdempotentConsumer
{
    public Task Consume(ConsumeContext<AnnounceDeposit> context) =>
        context.Publish(new DepositRecorded(context.Message.AccountId, context.Message.Amount));
}

/// <summary>Publishes <see cref="EmitSteps.Count"/> numbered messages.</summary>
public sealed class EmitStepsConsumer : IConsumer<EmitSteps>
{
    public async Task Consume(ConsumeContext<EmitSteps> context)
    {
        for (var i = 0; i < context.Message.Count; i++)
        {
            await context.Publish(new StepEmitted(context.Message.BatchId, i), send =>
            {
                if (context.Message.FailFirstDelivery)
                {
                    // MassTransit's own fault injection: the outbox's first delivery attempt throws after the
                    // consumer's transaction committed — the state a crash between commit and delivery leaves.
                    send.Headers.Set("MT-Fail-Delivery", true);
                }
            });
        }
    }
}

/// <summary>Listens for <see cref="DepositRecorded"/> and checks whether the publisher's ledger row was committed.</summary>
public sealed class DepositRecordedListener(LedgerDbContext db, Observed observed) : IConsumer<DepositRecorded>
{
    public async Task Consume(ConsumeContext<DepositRecorded> context)
    {
        var visible = await EntityFrameworkQueryableExtensions.AnyAsync(
            db.Entries, e => e.AccountId == context.Message.AccountId, context.CancellationToken);
        observed.Add(context.Message, visible);
    }
}

/// <summary>Records <see cref="StepEmitted"/> in arrival order.</summary>
public sealed class StepListener(Observed observed) : IConsumer<StepEmitted>
{
    public Task Consume(ConsumeContext<StepEmitted> context)
    {
        observed.Steps.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A counter: opened once, then incremented by every <see cref="IncrementCounter"/> (by id) or
/// <see cref="IncrementCounterNamed"/> (by a query on its name); <see cref="CloseCounter"/> finalizes it, which
/// deletes its row.
/// </summary>
public sealed class CounterStateMachine : MassTransitStateMachine<CounterState>
{
    public CounterStateMachine()
    {
        Event(() => Opened, e =>
        {
            e.CorrelateById(m => m.Message.CounterId);

            // Insert the row when the initiating event arrives: a concurrent duplicate fails its insert and loads
            // the first one's row instead.
            e.InsertOnInitial = true;
        });
        Event(() => Incremented, e => e.CorrelateById(m => m.Message.CounterId));
        Event(() => IncrementedByName, e => e.CorrelateBy((saga, m) => saga.Name == m.Message.Name));
        Event(() => Closed, e => e.CorrelateById(m => m.Message.CounterId));

        InstanceState(x => x.CurrentState);

        Initially(
            When(Opened)
                .Then(context => context.Saga.Name = context.Message.Name)
                .TransitionTo(Open));

        During(Open,
            When(Incremented).Then(context => context.Saga.Count++),
            When(IncrementedByName).Then(context => context.Saga.Count++),
            When(Closed).Finalize(),
            Ignore(Opened));

        SetCompletedWhenFinalized();
    }

    public State Open { get; private set; } = null!;

    public Event<OpenCounter> Opened { get; private set; } = null!;

    public Event<IncrementCounter> Incremented { get; private set; } = null!;

    public Event<IncrementCounterNamed> IncrementedByName { get; private set; } = null!;

    public Event<CloseCounter> Closed { get; private set; } = null!;
}

/// <summary>
/// The test's stand-in for a process dying: what the consumer calls at its crash point. The test wires it to cut
/// every connection the host has (database and broker, through proxies the test owns), which is what the servers see
/// when a process is killed: an open transaction is rolled back, an unacknowledged message is requeued.
/// </summary>
public sealed class ProcessCrash
{
    private readonly TaskCompletionSource _crashed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cuts the host's connections; given the consumed message's id.</summary>
    public Func<Guid, Task> Crash { get; set; } = _ => Task.CompletedTask;

    /// <summary>Completes once the crash point was reached.</summary>
    public Task Crashed => _crashed.Task;

    /// <summary>Every time the consumer ran: whether the broker flagged the delivery as redelivered.</summary>
    public ConcurrentQueue<bool> Runs { get; } = new();

    public async Task CrashNowAsync(Guid messageId)
    {
        await Crash(messageId);
        _crashed.TrySetResult();
    }
}

/// <summary>The process died; nothing after this point of the handler happens.</summary>
public sealed class ProcessCrashedException() : Exception("The process was killed (simulated by cutting its connections).");

/// <summary>Writes a ledger row and publishes <see cref="DepositRecorded"/>, and "dies" at its crash point on the first delivery.</summary>
public sealed class CrashingDepositConsumer(LedgerDbContext db, ProcessCrash crash) : IConsumer<CrashingDeposit>
{
    public async Task Consume(ConsumeContext<CrashingDeposit> context)
    {
        var redelivered = context.ReceiveContext.Redelivered;
        crash.Runs.Enqueue(redelivered);

        db.Entries.Add(new LedgerEntry { AccountId = context.Message.AccountId, Amount = context.Message.Amount });
        await db.SaveChangesAsync(context.CancellationToken);
        await context.Publish(new DepositRecorded(context.Message.AccountId, context.Message.Amount));

        if (redelivered)
        {
            return;
        }

        var messageId = context.MessageId ?? throw new InvalidOperationException("No MessageId.");
        switch (context.Message.Crash)
        {
            case CrashPoint.BeforeCommit:
                await crash.CrashNowAsync(messageId);
                throw new ProcessCrashedException();
            case CrashPoint.BeforeAcknowledge:
                // MassTransit awaits receive tasks after the whole consume pipe (commit and delivery included) and
                // before it acknowledges the message.
                context.ReceiveContext.AddReceiveTask(crash.CrashNowAsync(messageId));
                break;
        }
    }
}
