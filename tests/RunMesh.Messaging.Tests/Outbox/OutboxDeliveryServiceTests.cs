using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class OutboxDeliveryServiceFixture() : MessagingFixture("outbox_sweep");

/// <summary>Messages a consumer committed but never delivered are delivered by the delivery service after a restart.</summary>
public sealed class OutboxDeliveryServiceTests(OutboxDeliveryServiceFixture fixture) : IClassFixture<OutboxDeliveryServiceFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Messages_stored_but_not_delivered_are_delivered_after_a_restart()
    {
        var batch = Guid.NewGuid();

        // First process: the consumer commits, then delivery fails (the crash), and the message is dead-lettered,
        // so no redelivery will ever finish it. Its sweeper waits far too long to help.
        var crashed = await StartAsync(sweepAfter: TimeSpan.FromHours(1));
        var observedBeforeCrash = crashed.Observed();
        await crashed.Bus().Publish(new EmitSteps(batch, 5, FailFirstDelivery: true));
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("emit-steps_error") >= 1, s_timeout, "the delivery failure faulted the message");
        await crashed.StopAndDisposeAsync();

        (await UndeliveredAsync()).ShouldBe((Rows: 1, Messages: 5));
        observedBeforeCrash.Steps.ShouldBeEmpty();

        // Restart: the delivery service finds the committed, undelivered messages and sends them, in order.
        var restarted = await StartAsync(sweepAfter: TimeSpan.Zero);
        try
        {
            var steps = await Eventually.UntilAsync(
                () => Task.FromResult(restarted.Observed().Steps.Where(s => s.BatchId == batch).Select(s => s.Index).ToList()),
                s => s.Count >= 5, s_timeout, "the stored steps were delivered");
            steps.ShouldBe(Enumerable.Range(0, 5));
            await Eventually.UntilAsync(
                async () => await UndeliveredAsync() == (0, 0), s_timeout, "the inbox row is marked delivered and its messages removed");
        }
        finally
        {
            await restarted.StopAndDisposeAsync();
        }
    }

    private Task<IHost> StartAsync(TimeSpan sweepAfter) =>
        TestHost.StartAsync(
            fixture,
            x =>
            {
                x.AddConsumer<EmitStepsConsumer>();
                x.AddConsumer<StepListener>();
            },
            (context, rabbit) =>
            {
                rabbit.ReceiveEndpoint("emit-steps", e =>
                {
                    e.UsePostgresOutbox<LedgerDbContext>(context);
                    e.ConfigureConsumer<EmitStepsConsumer>(context);
                });
                rabbit.ReceiveEndpoint("step-listener", e =>
                {
                    e.PrefetchCount = 1;
                    e.ConcurrentMessageLimit = 1;
                    e.ConfigureConsumer<StepListener>(context);
                });
            },
            o => o.SweepAfter = sweepAfter);

    private async Task<(int Rows, int Messages)> UndeliveredAsync()
    {
        await using var db = fixture.CreateDbContext();
        var rows = await EntityFrameworkQueryableExtensions.CountAsync(
            db.Set<InboxState>(), i => i.Consumed != null && i.Delivered == null);
        var messages = await EntityFrameworkQueryableExtensions.CountAsync(db.Set<OutboxMessage>());
        return (rows, messages);
    }
}
