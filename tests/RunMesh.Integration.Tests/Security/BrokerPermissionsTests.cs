using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RunMesh.Integration.Tests.Security;

/// <summary>
/// What each broker user of deploy/rabbitmq/permissions.conf may do on a vhost laid out like the mesh's, asked of the
/// real broker: the outside-system user may publish only the public commands and read only its own queues bound to
/// <c>RunFinished</c>; each service may publish only the messages it sends. A refusal is the broker's ACCESS_REFUSED.
/// </summary>
public sealed class BrokerPermissionsTests(BrokerPermissionsTests.MeshLayout layout) : IClassFixture<BrokerPermissionsTests.MeshLayout>
{
    private const ushort AccessRefused = 403;

    public static TheoryData<string, string, string, bool> Publishes => new()
    {
        // The outside system: the public commands only — never a message of the mesh's own conversation.
        { "external", "RunMesh.Contracts:StartRun", "", true },
        { "external", "RunMesh.Contracts:CancelRun", "", true },
        { "external", "RunMesh.Contracts:RetryRun", "", true },
        { "external", "RunMesh.Contracts:ApprovalDecided", "", false },
        { "external", "RunMesh.Contracts:PhaseSucceeded", "", false },
        { "external", "RunMesh.Contracts:PhaseAttemptFailed", "", false },
        { "external", "RunMesh.Contracts:ExecutePhase", "", false },
        { "external", "RunMesh.Contracts:RunFinished", "", false },
        { "external", "RunMesh.Contracts:ReportReady", "", false },
        { "external", "RunMesh.Contracts:ApprovalRequested", "", false },
        { "external", "runs", "", false },
        { "external", "phase-worker", "", false },
        // The default exchange would deliver straight to any queue named by the routing key.
        { "external", "", "runs", false },
        { "external", "", "approval-requested", false },
        // Each service sends its own messages and nothing else.
        { "orchestrator", "RunMesh.Contracts:ExecutePhase", "", true },
        { "orchestrator", "RunMesh.Contracts:RunFinished", "", true },
        { "orchestrator", "RunMesh.Contracts:ApprovalDecided", "", false },
        { "orchestrator", "RunMesh.Contracts:PhaseSucceeded", "", false },
        { "phase-worker", "RunMesh.Contracts:PhaseSucceeded", "", true },
        { "phase-worker", "RunMesh.Contracts:ApprovalDecided", "", false },
        { "phase-worker", "RunMesh.Contracts:ExecutePhase", "", false },
        { "phase-worker", "RunMesh.Contracts:RunFinished", "", false },
        { "phase-worker", "runs", "", false },
        { "approval", "RunMesh.Contracts:ApprovalDecided", "", true },
        { "approval", "RunMesh.Contracts:PhaseSucceeded", "", false },
        { "approval", "RunMesh.Contracts:StartRun", "", false },
        { "report", "RunMesh.Contracts:ReportReady", "", true },
        { "report", "RunMesh.Contracts:RunFinished", "", false },
        { "report", "RunMesh.Contracts:ApprovalDecided", "", false },
    };

    [Theory]
    [MemberData(nameof(Publishes))]
    public async Task A_user_may_publish_only_the_messages_its_line_allows(string user, string exchange, string routingKey, bool allowed)
    {
        var refusal = await layout.RefusalAsync(user, async channel =>
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, new BasicProperties(), "{}"u8.ToArray()));

        if (allowed)
        {
            refusal.ShouldBeNull($"{user} publishing to '{exchange}'");
        }
        else
        {
            refusal.ShouldBe(AccessRefused, $"{user} publishing to '{exchange}' (routing key '{routingKey}')");
        }
    }

    [Fact]
    public async Task The_outside_system_receives_run_finished_on_its_own_server_named_or_ext_queue()
    {
        foreach (var queue in new[] { "", $"ext-billing-{Guid.NewGuid():N}" })
        {
            var refusal = await layout.RefusalAsync("external", async channel =>
            {
                var declared = await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true);
                await channel.QueueBindAsync(declared.QueueName, "RunMesh.Contracts:RunFinished", "");
                await channel.BasicGetAsync(declared.QueueName, autoAck: true);
            });
            refusal.ShouldBeNull($"the outside system declaring, binding and reading '{queue}'");
        }
    }

    public static TheoryData<string, string> RefusedQueueUses => new()
    {
        // Queues it may not own, and messages it may not listen to.
        { "declare a queue not named ext-…", "declare:billing" },
        { "bind its queue to ApprovalRequested", "bind:RunMesh.Contracts:ApprovalRequested" },
        { "bind its queue to ExecutePhase", "bind:RunMesh.Contracts:ExecutePhase" },
        { "bind its queue to PhaseSucceeded", "bind:RunMesh.Contracts:PhaseSucceeded" },
        { "read a service's queue", "read:approval-requested" },
        { "read a service's queue", "read:runs" },
    };

    [Theory]
    [MemberData(nameof(RefusedQueueUses))]
    public async Task The_outside_system_may_not(string what, string action)
    {
        var (verb, name) = (action[..action.IndexOf(':')], action[(action.IndexOf(':') + 1)..]);
        var refusal = await layout.RefusalAsync("external", async channel =>
        {
            switch (verb)
            {
                case "declare":
                    await channel.QueueDeclareAsync(name, durable: false, exclusive: true, autoDelete: true);
                    break;
                case "bind":
                    var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
                    await channel.QueueBindAsync(queue.QueueName, name, "");
                    break;
                default:
                    await channel.BasicGetAsync(name, autoAck: false);
                    break;
            }
        });
        refusal.ShouldBe(AccessRefused, what);
    }

    [Fact]
    public async Task No_user_of_the_mesh_has_a_management_tag()
    {
        foreach (var user in BrokerUsers.All)
        {
            (await layout.Vhost.UserTagsAsync(user.Name)).ShouldBeEmpty(user.Name);
        }
    }

    /// <summary>
    /// A vhost with the mesh's users and the exchanges and queues the services declare (made by the operator), so that
    /// each check meets an existing entity and only a permission can refuse it.
    /// </summary>
    public sealed class MeshLayout : IAsyncLifetime
    {
        private static readonly string[] s_messages =
        [
            "StartRun", "CancelRun", "RetryRun", "ExecutePhase", "CancelPhase", "PhaseSucceeded", "PhaseAttemptFailed",
            "PhaseTimedOut", "ApprovalRequested", "ApprovalDecided", "RunFinished", "ReportReady",
        ];

        private static readonly string[] s_queues = ["runs", "start-run", "phase-worker", "approval-requested", "approval-run-finished", "report-run-finished"];

        private readonly Dictionary<string, Uri> _urls = [];

        public IsolatedVirtualHost Vhost { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Vhost = await IsolatedVirtualHost.CreateAsync(await TestServers.GetAsync(), "broker-permissions");
            foreach (var user in BrokerUsers.All)
            {
                _urls[user.Name["runmesh-".Length..]] = await Vhost.GrantAsync(user);
            }

            await using var connection = await new ConnectionFactory { Uri = Vhost.AmqpUrl }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            foreach (var message in s_messages)
            {
                await channel.ExchangeDeclareAsync($"RunMesh.Contracts:{message}", ExchangeType.Fanout, durable: true);
            }

            foreach (var queue in s_queues)
            {
                await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true);
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
                await channel.QueueBindAsync(queue, queue, "");
            }
        }

        /// <summary>
        /// Runs <paramref name="use"/> on a fresh channel of <paramref name="user"/> with publisher confirms, and returns
        /// the broker's reply code when it closed the channel (null when everything was allowed).
        /// </summary>
        public async Task<ushort?> RefusalAsync(string user, Func<IChannel, Task> use)
        {
            await using var connection = await new ConnectionFactory { Uri = _urls[user] }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            try
            {
                await use(channel);
                // A refused publish closes the channel asynchronously: a round trip on it settles whether it did.
                await channel.ExchangeDeclarePassiveAsync("RunMesh.Contracts:StartRun");
                return null;
            }
            catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or PublishException)
            {
                return channel.CloseReason?.ReplyCode ?? (e as OperationInterruptedException)?.ShutdownReason?.ReplyCode;
            }
        }

        public async Task DisposeAsync() => await Vhost.DisposeAsync();
    }
}
