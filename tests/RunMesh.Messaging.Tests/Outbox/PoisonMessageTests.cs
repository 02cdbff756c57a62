using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Tests.Infrastructure;

namespace RunMesh.Messaging.Tests.Outbox;

public sealed class PoisonMessageFixture() : MessagingFixture("poison");

/// <summary>A stored message that cannot be sent does not make the delivery service spin, nor block other outboxes.</summary>
public sealed class PoisonMessageTests(PoisonMessageFixture fixture) : IClassFixture<PoisonMessageFixture>
{
    private static readonly TimeSpan s_queryDelay = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task A_send_that_keeps_failing_backs_off_and_other_outboxes_still_go_out()
    {
        await StorePoisonAsync();
        var host = await TestHost.StartAsync(
            fixture,
            x => x.AddConsumer<StepListener>(),
            (context, rabbit) => rabbit.ReceiveEndpoint("step-listener", e => e.ConfigureConsumer<StepListener>(context)),
            o =>
            {
                o.UseBusOutbox();
                o.QueryDelay = s_queryDelay;
            });
        try
        {
            var faults = await Eventually.UntilAsync(
                () => Task.FromResult(host.Logs().Entries.Where(e => e.EventName == "LogSendFaulted").Select(e => e.At).ToList()),
                f => f.Count >= 4, TimeSpan.FromSeconds(30), "four failed attempts");

            // Without backoff the attempts would come every QueryDelay; with it the pauses double (2×, 4×, 8×).
            // The delays are lower bounds whatever the machine's load, so the test asserts those.
            (faults[1] - faults[0]).ShouldBeGreaterThanOrEqualTo(s_queryDelay * 2 * 0.9);
            (faults[3] - faults[2]).ShouldBeGreaterThanOrEqualTo(s_queryDelay * 8 * 0.9);

            var batch = Guid.NewGuid();
            await using (var scope = host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new StepEmitted(batch, 0));
                await scope.ServiceProvider.GetRequiredService<LedgerDbContext>().SaveChangesAsync();
            }

            await Eventually.UntilAsync(
                () => Task.FromResult(host.Observed().Steps.Any(s => s.BatchId == batch)), TimeSpan.FromSeconds(30),
                "a healthy outbox was delivered despite the poison one");
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }
    }

    /// <summary>A committed bus outbox whose one message goes to an address no transport can send to.</summary>
    private async Task StorePoisonAsync()
    {
        await using var db = fixture.CreateDbContext();
        var outbox = new OutboxState { OutboxId = NewId.NextGuid(), Created = DateTime.UtcNow.AddMinutes(-1) };
        db.Add(outbox);
        db.Add(new OutboxMessage
        {
            OutboxId = outbox.OutboxId,
            MessageId = NewId.NextGuid(),
            SentTime = outbox.Created,
            DestinationAddress = new Uri("nowhere://poison/queue"),
            ContentType = "application/vnd.masstransit+json",
            MessageType = "urn:message:Poison",
            Body = "{}",
        });
        await db.SaveChangesAsync();
    }
}
