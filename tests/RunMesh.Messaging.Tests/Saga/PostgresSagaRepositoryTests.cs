using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Saga;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Saga;

public sealed class PostgresSagaRepositoryFixture() : MessagingFixture("saga");

/// <summary>The saga repository's row lock under competing consumers on two bus instances.</summary>
public sealed class PostgresSagaRepositoryTests(PostgresSagaRepositoryFixture fixture) : IClassFixture<PostgresSagaRepositoryFixture>
{
    private const int Increments = 200;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Concurrent_events_for_one_saga_on_two_instances_lose_no_update(bool outbox)
    {
        var queue = outbox ? "counter-outbox" : "counter-plain";
        var counter = NewId.NextGuid();
        var first = await StartAsync(queue, outbox);
        var second = await StartAsync(queue, outbox);
        try
        {
            var endpoint = await first.Bus().GetSendEndpoint(new Uri($"queue:{queue}"));
            await endpoint.Send(new OpenCounter(counter));
            await Eventually.UntilAsync(async () => await CountAsync(counter) == 0, TimeSpan.FromSeconds(30), "the counter saga was created");

            await Task.WhenAll(Enumerable.Range(0, Increments).Select(_ => endpoint.Send(new IncrementCounter(counter))));

            await Eventually.UntilAsync(
                async () => await CountAsync(counter) == Increments, TimeSpan.FromSeconds(90), $"the counter reached {Increments}",
                () => $"count is {CountAsync(counter).GetAwaiter().GetResult()}");
            (await fixture.Broker.QueueDepthAsync($"{queue}_error")).GetValueOrDefault().ShouldBe(0);
        }
        finally
        {
            await Task.WhenAll(first.StopAndDisposeAsync(), second.StopAndDisposeAsync());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Concurrent_initiating_events_create_one_saga(bool outbox)
    {
        var queue = outbox ? "counter-open-outbox" : "counter-open-plain";
        var counter = NewId.NextGuid();
        var first = await StartAsync(queue, outbox);
        var second = await StartAsync(queue, outbox);
        try
        {
            var endpoint = await first.Bus().GetSendEndpoint(new Uri($"queue:{queue}"));
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => endpoint.Send(new OpenCounter(counter))));

            await Eventually.UntilAsync(
                async () => await CountAsync(counter) == 0 && await fixture.Broker.QueueDepthAsync(queue) == 0,
                TimeSpan.FromSeconds(30), "every open was consumed");
            (await fixture.ScalarAsync<long>($"SELECT count(*) FROM counter_state WHERE correlation_id = '{counter}'")).ShouldBe(1);
            (await fixture.Broker.QueueDepthAsync($"{queue}_error")).GetValueOrDefault().ShouldBe(0);

            await endpoint.Send(new IncrementCounter(counter));
            await Eventually.UntilAsync(async () => await CountAsync(counter) == 1, TimeSpan.FromSeconds(30), "the one counter was incremented");
        }
        finally
        {
            await Task.WhenAll(first.StopAndDisposeAsync(), second.StopAndDisposeAsync());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_event_correlated_by_a_query_updates_only_the_matching_saga(bool outbox)
    {
        var queue = outbox ? "counter-named-outbox" : "counter-named-plain";
        var (first, second) = (NewId.NextGuid(), NewId.NextGuid());
        var host = await StartAsync(queue, outbox);
        try
        {
            var endpoint = await host.Bus().GetSendEndpoint(new Uri($"queue:{queue}"));
            await endpoint.Send(new OpenCounter(first, $"first-{first}"));
            await endpoint.Send(new OpenCounter(second, $"second-{second}"));
            await Eventually.UntilAsync(
                async () => await CountAsync(first) == 0 && await CountAsync(second) == 0, TimeSpan.FromSeconds(30), "both counters were created");

            await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => endpoint.Send(new IncrementCounterNamed($"second-{second}"))));

            await Eventually.UntilAsync(async () => await CountAsync(second) == 5, TimeSpan.FromSeconds(30), "the named counter reached 5");
            (await CountAsync(first)).ShouldBe(0, "the other counter's row did not match the query");
            (await fixture.Broker.QueueDepthAsync($"{queue}_error")).GetValueOrDefault().ShouldBe(0);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_saga_that_finalizes_has_its_row_deleted(bool outbox)
    {
        var queue = outbox ? "counter-close-outbox" : "counter-close-plain";
        var (closed, kept) = (NewId.NextGuid(), NewId.NextGuid());
        var host = await StartAsync(queue, outbox);
        try
        {
            var endpoint = await host.Bus().GetSendEndpoint(new Uri($"queue:{queue}"));
            await endpoint.Send(new OpenCounter(closed));
            await endpoint.Send(new OpenCounter(kept));
            await Eventually.UntilAsync(
                async () => await CountAsync(closed) == 0 && await CountAsync(kept) == 0, TimeSpan.FromSeconds(30), "both counters were created");

            await endpoint.Send(new CloseCounter(closed));

            await Eventually.UntilAsync(async () => await CountAsync(closed) is null, TimeSpan.FromSeconds(30), "the finalized counter's row was deleted");
            (await CountAsync(kept)).ShouldBe(0, "only the finalized saga's row goes");
            (await fixture.Broker.QueueDepthAsync($"{queue}_error")).GetValueOrDefault().ShouldBe(0);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }
    }

    private Task<IHost> StartAsync(string queue, bool outbox) =>
        TestHost.StartAsync(
            fixture,
            x => x.AddSagaStateMachine<CounterStateMachine, CounterState>()
                .PostgresRepository(r => r.ExistingDbContext<LedgerDbContext>())
                .ExcludeFromConfigureEndpoints(),
            (context, rabbit) => rabbit.ReceiveEndpoint(queue, e =>
            {
                e.PrefetchCount = 16;
                e.ConcurrentMessageLimit = 16;
                if (outbox)
                {
                    e.UsePostgresOutbox<LedgerDbContext>(context);
                }

                e.ConfigureSaga<CounterState>(context);
            }));

    private async Task<int?> CountAsync(Guid counter)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
            db.Counters.Where(c => c.CorrelationId == counter).Select(c => (int?)c.Count));
    }
}
