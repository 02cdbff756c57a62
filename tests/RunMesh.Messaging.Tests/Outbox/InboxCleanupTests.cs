using Microsoft.EntityFrameworkCore;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class InboxCleanupFixture() : MessagingFixture("inbox_cleanup");

/// <summary>The inbox forgets message ids after the duplicate-detection window, and only then; undeliverable leftovers go much later.</summary>
public sealed class InboxCleanupTests(InboxCleanupFixture fixture) : IClassFixture<InboxCleanupFixture>
{
    [Fact]
    public async Task Inbox_cleanup_removes_only_expired_rows()
    {
        var now = DateTime.UtcNow;
        var expired = await AddInboxAsync(received: now.AddHours(-3), delivered: now.AddHours(-2));
        var recent = await AddInboxAsync(received: now.AddMinutes(-2), delivered: now.AddMinutes(-1));
        var abandoned = await AddInboxAsync(received: now.AddDays(-3), delivered: null, storedMessages: 2);
        var pending = await AddInboxAsync(received: now.AddMinutes(-5), delivered: null, storedMessages: 1);
        var abandonedOutbox = await AddBusOutboxAsync(created: now.AddDays(-2));
        var recentOutbox = await AddBusOutboxAsync(created: now.AddMinutes(-1));

        var host = await TestHost.StartAsync(
            fixture,
            _ => { },
            (_, _) => { },
            o =>
            {
                o.DuplicateDetectionWindow = TimeSpan.FromMinutes(30);
                o.AbandonAfter = TimeSpan.FromDays(1);
                o.DeliveryService = false; // Only the cleanup is under test.
            });
        try
        {
            await Eventually.UntilAsync(
                async () => !(await InboxIdsAsync()).Contains(expired) && !(await InboxIdsAsync()).Contains(abandoned)
                    && !(await OutboxIdsAsync()).Contains(abandonedOutbox),
                TimeSpan.FromSeconds(30), "the expired and the abandoned rows were removed");
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        (await InboxIdsAsync()).ShouldBe([recent, pending], ignoreOrder: true);
        (await OutboxIdsAsync()).ShouldBe([recentOutbox]);
        (await fixture.ScalarAsync<long>("SELECT count(*) FROM outbox_message WHERE inbox_message_id IS NOT NULL"))
            .ShouldBe(1, "only the pending row's message is kept");
        (await fixture.ScalarAsync<long>("SELECT count(*) FROM outbox_message WHERE outbox_id IS NOT NULL"))
            .ShouldBe(1, "only the recent bus outbox's message is kept");
    }

    private async Task<long> AddInboxAsync(DateTime received, DateTime? delivered, int storedMessages = 0)
    {
        await using var db = fixture.CreateDbContext();
        var inbox = new InboxState
        {
            MessageId = Guid.NewGuid(),
            ConsumerId = Guid.NewGuid(),
            LockId = Guid.NewGuid(),
            Received = received,
            ReceiveCount = 1,
            Consumed = received,
            Delivered = delivered,
        };
        db.Add(inbox);
        for (var i = 0; i < storedMessages; i++)
        {
            db.Add(new OutboxMessage
            {
                MessageId = Guid.NewGuid(),
                InboxMessageId = inbox.MessageId,
                InboxConsumerId = inbox.ConsumerId,
                SentTime = received,
                ContentType = "application/vnd.masstransit+json",
                MessageType = "urn:message:Test",
                Body = "{}",
            });
        }

        await db.SaveChangesAsync();
        return inbox.Id;
    }

    private async Task<Guid> AddBusOutboxAsync(DateTime created)
    {
        await using var db = fixture.CreateDbContext();
        var outbox = new OutboxState { OutboxId = Guid.NewGuid(), Created = created };
        db.Add(outbox);
        db.Add(new OutboxMessage
        {
            MessageId = Guid.NewGuid(),
            OutboxId = outbox.OutboxId,
            SentTime = created,
            ContentType = "application/vnd.masstransit+json",
            MessageType = "urn:message:Test",
            Body = "{}",
        });
        await db.SaveChangesAsync();
        return outbox.OutboxId;
    }

    private async Task<List<Guid>> OutboxIdsAsync()
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.ToListAsync(db.Set<OutboxState>().Select(o => o.OutboxId));
    }

    private async Task<List<long>> InboxIdsAsync()
    {
        await using var db = fixture.CreateDbContext();
        return await EntityFrameworkQueryableExtensions.ToListAsync(db.Set<InboxState>().Select(i => i.Id));
    }
}
