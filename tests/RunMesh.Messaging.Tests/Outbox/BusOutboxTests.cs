using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class BusOutboxFixture() : MessagingFixture("bus_outbox");

/// <summary>The bus outbox outside consumers (an API request): the row and the message commit together or not at all.</summary>
public sealed class BusOutboxTests(BusOutboxFixture fixture) : IClassFixture<BusOutboxFixture>, IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private IHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await TestHost.StartAsync(
            fixture,
            x => x.AddConsumer<DepositRecordedListener>(),
            (context, rabbit) => rabbit.ReceiveEndpoint("deposit-recorded-listener", e => e.ConfigureConsumer<DepositRecordedListener>(context)),
            o =>
            {
                o.UseBusOutbox();
                // Delivery must come from the commit's wake-up, not from polling.
                o.QueryDelay = TimeSpan.FromMinutes(10);
            });

    public async Task DisposeAsync() => await _host.StopAndDisposeAsync();

    [Fact]
    public async Task Scoped_publish_is_stored_and_sent_only_after_SaveChanges_commits()
    {
        var account = Guid.NewGuid();

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Entries.Add(new LedgerEntry { AccountId = account, Amount = 7m });
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new DepositRecorded(account, 7m));
            await db.SaveChangesAsync();

            // Written as a row in the request's own transaction (MassTransit #5813 broke exactly this).
            (await EntityFrameworkQueryableExtensions.CountAsync(db.Set<OutboxMessage>(), m => m.Body.Contains(account.ToString()))).ShouldBe(1);
            await transaction.CommitAsync();
        }

        var deposits = await Eventually.UntilAsync(
            () => Task.FromResult(DepositsFor(account)), d => d.Count > 0, s_timeout, "DepositRecorded arrived");
        deposits.ShouldHaveSingleItem().LedgerRowVisible.ShouldBeTrue();
        await Eventually.UntilAsync(
            async () => await fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{account}%'") == 0,
            s_timeout, "the delivered outbox was removed");
    }

    [Fact]
    public async Task Scoped_publish_without_SaveChanges_sends_nothing()
    {
        var unsaved = Guid.NewGuid();
        var saved = Guid.NewGuid();

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<LedgerDbContext>().Entries.Add(new LedgerEntry { AccountId = unsaved, Amount = 1m });
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new DepositRecorded(unsaved, 1m));
        }

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            db.Entries.Add(new LedgerEntry { AccountId = saved, Amount = 2m });
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new DepositRecorded(saved, 2m));
            await db.SaveChangesAsync();
        }

        await Eventually.UntilAsync(() => Task.FromResult(DepositsFor(saved).Count > 0), s_timeout, "the saved scope's message arrived");
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("deposit-recorded-listener") == 0, s_timeout, "the listener queue drained");
        DepositsFor(unsaved).ShouldBeEmpty();
        (await fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{unsaved}%'")).ShouldBe(0);
    }

    [Fact]
    public async Task Scoped_publish_saved_in_a_transaction_that_rolls_back_is_never_sent_while_a_later_commit_is()
    {
        var rolledBack = Guid.NewGuid();
        var committed = Guid.NewGuid();

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
            await using (var transaction = await db.Database.BeginTransactionAsync())
            {
                db.Entries.Add(new LedgerEntry { AccountId = rolledBack, Amount = 3m });
                await publish.Publish(new DepositRecorded(rolledBack, 3m));
                await db.SaveChangesAsync();
                await transaction.RollbackAsync();
            }

            // The same scope goes on: its next transaction commits, and only that one's message may go out.
            db.ChangeTracker.Clear();
            await using (var transaction = await db.Database.BeginTransactionAsync())
            {
                db.Entries.Add(new LedgerEntry { AccountId = committed, Amount = 4m });
                await publish.Publish(new DepositRecorded(committed, 4m));
                await db.SaveChangesAsync();
                await transaction.CommitAsync();
            }
        }

        // The delivery service sleeps (QueryDelay 10 min): the commit itself sent it.
        await Eventually.UntilAsync(() => Task.FromResult(DepositsFor(committed).Count > 0), s_timeout, "the committed scope's message arrived");
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("deposit-recorded-listener") == 0, s_timeout, "the listener queue drained");
        DepositsFor(rolledBack).ShouldBeEmpty();
        await Eventually.UntilAsync(
            async () => await fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{committed}%'") == 0,
            s_timeout, "the sent outbox was deleted");
        (await fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{rolledBack}%'")).ShouldBe(0);
    }

    private List<(DepositRecorded Message, bool LedgerRowVisible)> DepositsFor(Guid account) =>
        _host.Observed().Deposits.Where(d => d.Message.AccountId == account).ToList();
}
