using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class ProcessCrashFixture() : MessagingFixture("process_crash");

/// <summary>
/// A consumer's process dies at the worst moments. The host reaches PostgreSQL and RabbitMQ only through proxies
/// this test owns; "dying" cuts both, so the servers see what they see when a process is killed (the open
/// transaction rolled back, the unacknowledged message requeued and redelivered) while the shared servers stay up.
/// </summary>
public sealed class ProcessCrashTests(ProcessCrashFixture fixture) : IClassFixture<ProcessCrashFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_crash_before_commit_publishes_nothing_and_the_redelivered_message_has_one_effect()
    {
        var account = Guid.NewGuid();
        await using var crashed = await CrashingHost.StartAsync(fixture, (_, cut) =>
        {
            cut();
            return Task.CompletedTask;
        });

        await crashed.Host.Bus().Publish(new CrashingDeposit(account, 7m, CrashPoint.BeforeCommit));
        await crashed.Crash.Crashed.WaitAsync(s_timeout);

        // While the process is "dead": its transaction was rolled back, nothing it stored went out.
        await Eventually.UntilAsync(async () => await LedgerCountAsync(account) == 0, s_timeout, "the crashed transaction was rolled back");
        (await StoredMessagesAsync(account)).ShouldBe(0, "the publish was stored in the transaction that was rolled back");
        crashed.Host.Observed().Deposits.ShouldNotContain(d => d.Message.AccountId == account);

        crashed.Restore();

        await Eventually.UntilAsync(
            () => Task.FromResult(crashed.Host.Observed().Deposits.Any(d => d.Message.AccountId == account)),
            s_timeout, "the redelivered message was consumed and its DepositRecorded delivered");
        await Eventually.UntilAsync(async () => await StoredMessagesAsync(account) == 0, s_timeout, "the delivered message was removed from the outbox");

        crashed.Crash.Runs.ToArray().ShouldBe(new[] { false, true }, "the handler ran once, died, and ran again on the broker's redelivery");
        (await LedgerCountAsync(account)).ShouldBe(1);
        var deposit = crashed.Host.Observed().Deposits.Where(d => d.Message.AccountId == account).ShouldHaveSingleItem();
        deposit.LedgerRowVisible.ShouldBeTrue("DepositRecorded went out only after the redelivery's commit");
    }

    [Fact]
    public async Task A_message_redelivered_after_its_commit_and_published_again_has_one_effect()
    {
        var account = Guid.NewGuid();
        var messageId = NewId.NextGuid();
        await using var crashed = await CrashingHost.StartAsync(fixture, async (consumed, cut) =>
        {
            // Die once the pass committed and delivered what it stored, before the acknowledgement.
            await Eventually.UntilAsync(
                async () => await DeliveredAsync(consumed), s_timeout, "the first delivery's pass committed and delivered");
            cut();
        });

        await crashed.Host.Bus().Publish(new CrashingDeposit(account, 9m, CrashPoint.BeforeAcknowledge), send => send.MessageId = messageId);
        await crashed.Crash.Crashed.WaitAsync(s_timeout);
        crashed.Restore();

        // The broker redelivers the unacknowledged message: the inbox drops it. Then a duplicate publish of it.
        await Eventually.UntilAsync(async () => await ReceiveCountAsync(messageId) == 2, s_timeout, "the broker redelivered the message");
        await crashed.Host.Bus().Publish(new CrashingDeposit(account, 9m, CrashPoint.BeforeAcknowledge), send => send.MessageId = messageId);
        await Eventually.UntilAsync(async () => await ReceiveCountAsync(messageId) == 3, s_timeout, "the duplicate passed the inbox");
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("crashing-deposit") == 0
                && await fixture.Broker.QueueDepthAsync("deposit-recorded-listener") == 0,
            s_timeout, "both queues drained");

        crashed.Crash.Runs.ToArray().ShouldBe(new[] { false }, "the handler ran for the first delivery only");
        (await LedgerCountAsync(account)).ShouldBe(1);
        crashed.Host.Observed().Deposits.Count(d => d.Message.AccountId == account).ShouldBe(1);
    }

    private async Task<int> LedgerCountAsync(Guid account)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.CountAsync(db.Entries, e => e.AccountId == account);
    }

    private Task<long> StoredMessagesAsync(Guid account) =>
        fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{account}%'");

    private async Task<bool> DeliveredAsync(Guid messageId)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.AnyAsync(
            db.Set<InboxState>(), i => i.MessageId == messageId && i.Delivered != null);
    }

    private async Task<int> ReceiveCountAsync(Guid messageId)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
            db.Set<InboxState>().Where(i => i.MessageId == messageId).Select(i => i.ReceiveCount));
    }

    /// <summary>A host whose database and broker connections run through proxies, and the crash hook cutting both.</summary>
    private sealed class CrashingHost : IAsyncDisposable
    {
        private readonly TcpProxy _database;
        private readonly TcpProxy _broker;

        private CrashingHost(TcpProxy database, TcpProxy broker)
        {
            _database = database;
            _broker = broker;
        }

        public IHost Host { get; private set; } = null!;

        public ProcessCrash Crash { get; } = new();

        /// <param name="fixture">The class's database and vhost.</param>
        /// <param name="crash">Runs at the crash point with the consumed message's id and the action that cuts every connection.</param>
        public static async Task<CrashingHost> StartAsync(MessagingFixture fixture, Func<Guid, Action, Task> crash)
        {
            var database = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString);
            var host = new CrashingHost(
                new TcpProxy(database.Host!, database.Port),
                new TcpProxy(fixture.Broker.AmqpUrl.Host, fixture.Broker.AmqpUrl.Port));
            host.Crash.Crash = messageId => crash(messageId, host.Cut);
            database.Host = "127.0.0.1";
            database.Port = host._database.Port;

            host.Host = await TestHost.StartAsync(
                fixture,
                x =>
                {
                    x.AddConsumer<CrashingDepositConsumer>();
                    x.AddConsumer<DepositRecordedListener>();
                },
                (context, rabbit) =>
                {
                    rabbit.ReceiveEndpoint("crashing-deposit", e =>
                    {
                        e.UsePostgresOutbox<LedgerDbContext>(context);
                        e.ConfigureConsumer<CrashingDepositConsumer>(context);
                    });
                    rabbit.ReceiveEndpoint("deposit-recorded-listener", e => e.ConfigureConsumer<DepositRecordedListener>(context));
                },
                amqpUrl: fixture.Broker.Via(host._broker.Port),
                databaseConnectionString: database.ConnectionString,
                services: services => services.AddSingleton(host.Crash));
            return host;
        }

        public void Restore()
        {
            _database.Restore();
            _broker.Restore();
        }

        public async ValueTask DisposeAsync()
        {
            Restore();
            await Host.StopAndDisposeAsync();
            await _broker.DisposeAsync();
            await _database.DisposeAsync();
        }

        private void Cut()
        {
            _database.Cut();
            _broker.Cut();
        }
    }
}
