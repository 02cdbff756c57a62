using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class TransactionalOutboxFixture() : MessagingFixture("outbox");

/// <summary>The inbox/outbox around a consumer that writes a ledger row and publishes: exactly-once effect, publish after commit.</summary>
public sealed class TransactionalOutboxTests(TransactionalOutboxFixture fixture) : IClassFixture<TransactionalOutboxFixture>, IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>EF Core's UPDATE of one tracked inbox row (the batched writer's marks go through its own statement).</summary>
    private static readonly Regex s_inboxRowUpdate = new(@"UPDATE\s+""?inbox_state""?\s+SET", RegexOptions.IgnoreCase);
    private IHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await TestHost.StartAsync(
            fixture,
            x =>
            {
                x.AddConsumer<RecordDepositConsumer>();
                x.AddConsumer<AnnounceDepositConsumer>();
                x.AddConsumer<EmitStepsConsumer>();
                x.AddConsumer<DepositRecordedListener>();
                x.AddConsumer<StepListener>();
            },
            (context, rabbit) =>
            {
                rabbit.ReceiveEndpoint("record-deposit", e =>
                {
                    e.UsePostgresOutbox<LedgerDbContext>(context);
                    e.ConfigureConsumer<RecordDepositConsumer>(context);
                    e.ConfigureConsumer<AnnounceDepositConsumer>(context);
                });
                rabbit.ReceiveEndpoint("emit-steps", e =>
                {
                    // A small delivery batch, so one consumed message is delivered over several batches.
                    e.UsePostgresOutbox<LedgerDbContext>(context, o => o.MessageDeliveryLimit = 4);
                    e.ConfigureConsumer<EmitStepsConsumer>(context);
                });
                rabbit.ReceiveEndpoint("deposit-recorded-listener", e => e.ConfigureConsumer<DepositRecordedListener>(context));
                rabbit.ReceiveEndpoint("step-listener", e =>
                {
                    e.PrefetchCount = 1;
                    e.ConcurrentMessageLimit = 1;
                    e.ConfigureConsumer<StepListener>(context);
                });
            });

    public async Task DisposeAsync() => await _host.StopAndDisposeAsync();

    [Fact]
    public async Task Redelivered_message_is_consumed_once()
    {
        var account = Guid.NewGuid();
        var messageId = NewId.NextGuid();
        var faultsBefore = (await fixture.Broker.QueueDepthAsync("record-deposit_error")).GetValueOrDefault();

        // The same MessageId three times, concurrently: a redelivery and two duplicate publishes.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            _host.Bus().Publish(new RecordDeposit(account, 10m), send => send.MessageId = messageId)));

        await Eventually.UntilAsync(
            async () => await InboxAsync(messageId) is { ReceiveCount: 3, Delivered: not null },
            s_timeout, "all three deliveries passed the inbox");
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("deposit-recorded-listener") == 0 && DepositsFor(account).Count > 0,
            s_timeout, "the published DepositRecorded was consumed");

        (await LedgerCountAsync(account)).ShouldBe(1);
        DepositsFor(account).Count.ShouldBe(1);
        (await fixture.Broker.QueueDepthAsync("record-deposit_error")).GetValueOrDefault().ShouldBe(faultsBefore);
    }

    [Fact]
    public async Task An_idempotent_consumer_runs_outside_the_inbox_beside_one_that_runs_inside_it()
    {
        var account = Guid.NewGuid();
        var announceId = NewId.NextGuid();
        var recordId = NewId.NextGuid();

        // One endpoint, both consumers behind UsePostgresOutbox; only AnnounceDepositConsumer is an IIdempotentConsumer.
        await _host.Bus().Publish(new AnnounceDeposit(account, 7m), send => send.MessageId = announceId);
        await _host.Bus().Publish(new RecordDeposit(account, 7m), send => send.MessageId = recordId);

        await Eventually.UntilAsync(() => Task.FromResult(DepositsFor(account)), d => d.Count == 2, s_timeout, "both DepositRecorded arrived");
        await Eventually.UntilAsync(
            async () => await InboxAsync(recordId) is { ReceiveCount: 1, Delivered: not null }, s_timeout, "RecordDeposit passed the inbox");
        (await InboxAsync(announceId)).ShouldBeNull("the idempotent consumer claimed an inbox row");
        (await LedgerCountAsync(account)).ShouldBe(1);
    }

    [Fact]
    public async Task A_consumer_that_stored_messages_in_its_last_pass_does_not_update_its_next_inbox_row_to_store_again()
    {
        // The first message teaches the guess, whatever it was before: this consumer stores messages.
        await EmitAndWaitAsync(Guid.NewGuid());
        _host.Statements().Clear();

        // One at a time, so each claim follows a committed pass that stored messages.
        var batches = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        foreach (var batch in batches)
        {
            await EmitAndWaitAsync(batch);
        }

        // Claimed without the delivered mark, a row needs no UPDATE taking it away when messages are stored; the
        // delivered marks written after the sends are the batched writer's (its own statement, not EF's).
        _host.Statements().Commands.ShouldNotContain(sql => s_inboxRowUpdate.IsMatch(sql));
        // And the passes still end delivered: the writer removes their sent messages.
        foreach (var batch in batches)
        {
            await Eventually.UntilAsync(
                async () => await fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{batch}%'") == 0,
                s_timeout, "the sent messages were removed");
        }
    }

    [Fact]
    public async Task A_pass_that_stores_messages_saves_them_without_a_savepoint()
    {
        _host.Statements().Clear();

        await EmitAndWaitAsync(Guid.NewGuid());

        // The pass's SaveChanges runs inside its transaction; the service options (UseServiceDatabase) keep EF Core from
        // wrapping it in a SAVEPOINT and a RELEASE, two round trips the all-or-nothing pass does not need.
        _host.Statements().Commands.ShouldContain(sql => sql.Contains("outbox_message", StringComparison.OrdinalIgnoreCase));
        _host.Statements().Savepoints.ShouldBe(0);
    }

    [Fact]
    public async Task Published_message_arrives_only_after_commit()
    {
        var account = Guid.NewGuid();

        await _host.Bus().Publish(new RecordDeposit(account, 25m));

        var deposits = await Eventually.UntilAsync(
            () => Task.FromResult(DepositsFor(account)), d => d.Count > 0, s_timeout, "DepositRecorded arrived");
        deposits.ShouldHaveSingleItem().LedgerRowVisible.ShouldBeTrue("the message arrived before the consumer's transaction committed");
    }

    [Fact]
    public async Task Nothing_is_published_when_the_handler_throws()
    {
        var account = Guid.NewGuid();

        await _host.Bus().Publish(new RecordDeposit(account, 5m, Fail: true));

        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("record-deposit_error") >= 1,
            s_timeout, "the failed message reached the error queue");
        // Delivery happens before the message is faulted, so a leaked publish would already be queued or consumed.
        (await fixture.Broker.QueueDepthAsync("deposit-recorded-listener")).GetValueOrDefault().ShouldBe(0);
        DepositsFor(account).ShouldBeEmpty();
        (await LedgerCountAsync(account)).ShouldBe(0);
        (await fixture.ScalarAsync<long>($"SELECT count(*) FROM outbox_message WHERE body LIKE '%{account}%'")).ShouldBe(0);
        (await fixture.ScalarAsync<long>("SELECT count(*) FROM inbox_state WHERE consumed IS NOT NULL AND delivered IS NULL")).ShouldBe(0);
    }

    [Fact]
    public async Task Messages_of_one_consumed_message_are_delivered_in_order()
    {
        var batch = Guid.NewGuid();

        await _host.Bus().Publish(new EmitSteps(batch, 25));

        var steps = await Eventually.UntilAsync(
            () => Task.FromResult(StepsOf(batch)), s => s.Count >= 25, s_timeout, "25 steps arrived");
        steps.ShouldBe(Enumerable.Range(0, 25));
    }

    [Theory]
    [InlineData("40001")]
    [InlineData("40P01")]
    public async Task Serialization_failure_or_deadlock_is_retried_as_a_fresh_transaction(string sqlState)
    {
        var account = Guid.NewGuid();
        var faultsBefore = (await fixture.Broker.QueueDepthAsync("record-deposit_error")).GetValueOrDefault();

        await _host.Bus().Publish(new RecordDeposit(account, 3m, FailFirstAttemptWith: sqlState));

        var deposits = await Eventually.UntilAsync(
            () => Task.FromResult(DepositsFor(account)), d => d.Count > 0, s_timeout, "DepositRecorded arrived after the retry");
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("deposit-recorded-listener") == 0, s_timeout, "the listener queue drained");

        // The failed attempt's row and publish were rolled back with its transaction; the retry's count once.
        (await LedgerCountAsync(account)).ShouldBe(1);
        DepositsFor(account).Count.ShouldBe(1);
        (await fixture.Broker.QueueDepthAsync("record-deposit_error")).GetValueOrDefault().ShouldBe(faultsBefore);
    }

    [Fact]
    public async Task Commit_that_succeeded_but_reported_a_failure_has_no_second_effect()
    {
        var account = Guid.NewGuid();
        var faultsBefore = (await fixture.Broker.QueueDepthAsync("record-deposit_error")).GetValueOrDefault();
        var injector = _host.Services.GetRequiredService<CommitFailureInjector>();
        injector.ArmOnce();

        await _host.Bus().Publish(new RecordDeposit(account, 4m));

        await Eventually.UntilAsync(() => Task.FromResult(DepositsFor(account).Count > 0), s_timeout, "DepositRecorded arrived");
        await Eventually.UntilAsync(
            async () => await fixture.Broker.QueueDepthAsync("deposit-recorded-listener") == 0
                && await fixture.Broker.QueueDepthAsync("record-deposit") == 0,
            s_timeout, "both queues drained");

        injector.Fired.ShouldBeTrue("the consume pass's commit was reported as failed");
        (await LedgerCountAsync(account)).ShouldBe(1);
        DepositsFor(account).Count.ShouldBe(1);
        (await fixture.Broker.QueueDepthAsync("record-deposit_error")).GetValueOrDefault().ShouldBe(faultsBefore);
    }

    private List<(DepositRecorded Message, bool LedgerRowVisible)> DepositsFor(Guid account) =>
        _host.Observed().Deposits.Where(d => d.Message.AccountId == account).ToList();

    private async Task EmitAndWaitAsync(Guid batch)
    {
        await _host.Bus().Publish(new EmitSteps(batch, 2));
        await Eventually.UntilAsync(() => Task.FromResult(StepsOf(batch)), s => s.Count >= 2, s_timeout, "both steps arrived");
    }

    private List<int> StepsOf(Guid batch) =>
        _host.Observed().Steps.Where(s => s.BatchId == batch).Select(s => s.Index).ToList();

    private async Task<int> LedgerCountAsync(Guid account)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.CountAsync(db.Entries, e => e.AccountId == account);
    }

    private async Task<InboxState?> InboxAsync(Guid messageId)
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
            db.Set<InboxState>().AsNoTracking(), i => i.MessageId == messageId);
    }
}
