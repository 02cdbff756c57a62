using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class BrokerOutageFixture() : MessagingFixture("broker_outage");

/// <summary>Messages committed while the broker is unreachable wait in the outbox and go out, in order, once it is back.</summary>
public sealed class BrokerOutageTests(BrokerOutageFixture fixture) : IClassFixture<BrokerOutageFixture>
{
    [Fact]
    public async Task Messages_committed_while_the_broker_is_cut_are_delivered_in_order_when_it_is_back()
    {
        var batch = Guid.NewGuid();
        await using var proxy = new TcpProxy(fixture.Broker.AmqpUrl.Host, fixture.Broker.AmqpUrl.Port);
        var host = await TestHost.StartAsync(
            fixture,
            x => x.AddConsumer<StepListener>(),
            (context, rabbit) => rabbit.ReceiveEndpoint("step-listener", e =>
            {
                e.PrefetchCount = 1;
                e.ConcurrentMessageLimit = 1;
                e.ConfigureConsumer<StepListener>(context);
            }),
            o => o.UseBusOutbox(),
            amqpUrl: fixture.Broker.Via(proxy.Port));
        try
        {
            proxy.Cut();

            await using (var scope = host.Services.CreateAsyncScope())
            {
                var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
                for (var i = 0; i < 5; i++)
                {
                    await publish.Publish(new StepEmitted(batch, i));
                }

                await scope.ServiceProvider.GetRequiredService<LedgerDbContext>().SaveChangesAsync();
            }

            (await StoredAsync(batch)).ShouldBe(5, "the messages wait in the outbox while the broker is unreachable");

            proxy.Restore();

            var steps = await Eventually.UntilAsync(
                () => Task.FromResult(host.Observed().Steps.Where(s => s.BatchId == batch).Select(s => s.Index).ToList()),
                s => s.Count >= 5, TimeSpan.FromSeconds(90), "the stored messages were delivered after the broker came back");
            steps.ShouldBe(Enumerable.Range(0, 5));
            await Eventually.UntilAsync(async () => await StoredAsync(batch) == 0, TimeSpan.FromSeconds(30), "the delivered outbox was removed");
        }
        finally
        {
            proxy.Restore();
            await host.StopAndDisposeAsync();
        }
    }

    private async Task<int> StoredAsync(Guid batch)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.CountAsync(db.Set<OutboxMessage>(), m => m.Body.Contains(batch.ToString()));
    }
}
