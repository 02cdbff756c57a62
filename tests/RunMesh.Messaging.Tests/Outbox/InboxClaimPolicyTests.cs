using RunMesh.Messaging.Outbox;

namespace RunMesh.Messaging.Tests.Outbox;

/// <summary>How an endpoint decides whether a consumer's new inbox row is claimed already marked delivered.</summary>
public sealed class InboxClaimPolicyTests
{
    [Fact]
    public void A_consumer_whose_last_pass_stored_messages_has_its_next_row_claimed_without_the_delivered_mark()
    {
        var policy = new InboxClaimPolicy();
        var sender = Guid.NewGuid();
        var silent = Guid.NewGuid();

        policy.ClaimsDelivered(sender).ShouldBeTrue("nothing learned yet: expected to store nothing");
        policy.PassCommitted(sender, storedMessages: true);
        policy.PassCommitted(silent, storedMessages: false);

        policy.ClaimsDelivered(sender).ShouldBeFalse();
        policy.ClaimsDelivered(silent).ShouldBeTrue();

        policy.PassCommitted(sender, storedMessages: false);
        policy.ClaimsDelivered(sender).ShouldBeTrue("the latest pass decides");
    }

    [Fact]
    public void What_one_endpoint_learns_does_not_change_how_another_claims()
    {
        var consumer = Guid.NewGuid();
        var first = new InboxClaimPolicy();
        var second = new InboxClaimPolicy();

        first.PassCommitted(consumer, storedMessages: true);

        first.ClaimsDelivered(consumer).ShouldBeFalse();
        second.ClaimsDelivered(consumer).ShouldBeTrue();
    }
}
