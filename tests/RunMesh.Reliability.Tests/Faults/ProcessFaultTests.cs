using System.Text;
using RabbitMQ.Client;
using RunMesh.Reliability.Tests.Load;

namespace RunMesh.Reliability.Tests.Faults;

/// <summary>
/// Faults 1, 2, 3 and 7 of docs/reliability.md while a hundred-odd runs are in flight: SIGKILL of a phase worker (one of two
/// replicas), of the orchestrator, of the approval and report services — each restarted — and a poison message on
/// the <c>StartRun</c> exchange. After each, every run reaches its terminal state and every invariant holds.
/// </summary>
public sealed class ProcessFaultTests(ProcessFaultsFixture fixture, ITestOutputHelper output) : IClassFixture<ProcessFaultsFixture>
{
    private MeshHarness Mesh => fixture.Mesh;

    [Fact]
    public async Task A_phase_worker_killed_mid_phase_and_restarted_loses_no_run_and_applies_each_result_once()
    {
        var worker = Mesh.Service("phase-worker-1");
        var report = await ReliabilityMesh.RunUnderFaultAsync(Mesh, output, "fault 1: SIGKILL phase-worker-1 of 2 mid-phase, restart", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(Mesh, driver, worker);
            await worker.KillAsync();
            worker.IsRunning.ShouldBeFalse();
            await worker.RestartAsync(TimeSpan.FromSeconds(90));
            return 1;
        }, fixture.InjectedPoison.ToList);

        report.Executions.ShouldBeGreaterThanOrEqualTo(report.AppliedResults, "every applied result was executed by a worker");
    }

    [Fact]
    public async Task The_orchestrator_killed_and_restarted_loses_no_run_and_applies_each_result_once()
    {
        var orchestrator = Mesh.Service("orchestrator");
        await ReliabilityMesh.RunUnderFaultAsync(Mesh, output, "fault 2: SIGKILL orchestrator, restart", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(Mesh, driver);
            await orchestrator.KillAsync();
            orchestrator.IsRunning.ShouldBeFalse();
            await orchestrator.RestartAsync(TimeSpan.FromSeconds(90));
            return 1;
        }, fixture.InjectedPoison.ToList);
    }

    [Fact]
    public async Task Approval_and_report_services_killed_and_restarted_leave_one_decision_per_request_and_one_report_per_run()
    {
        var approval = Mesh.Service("approval");
        var reportService = Mesh.Service("report");
        await ReliabilityMesh.RunUnderFaultAsync(Mesh, output, "fault 3: SIGKILL approval and report, restart", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(Mesh, driver);
            await Task.WhenAll(approval.KillAsync(), reportService.KillAsync());

            // While both are down, gated runs wait for a decision and finished runs for their report.
            await Eventually.UntilAsync(
                async () => await Mesh.ScalarAsync<long>("orchestrator", "SELECT count(*) FROM runs WHERE state = 'AwaitingApproval'") > 0,
                TimeSpan.FromSeconds(60), "a run waiting at its gate while the approval service is down", () => Mesh.LogTails(15));
            await Task.WhenAll(approval.RestartAsync(TimeSpan.FromSeconds(90)), reportService.RestartAsync(TimeSpan.FromSeconds(90)));
            return 2;
        }, fixture.InjectedPoison.ToList);
    }

    [Fact]
    public async Task A_poison_message_on_the_StartRun_exchange_goes_to_the_error_queue_and_every_other_run_completes()
    {
        var destinations = await Mesh.Broker.BindingDestinationsAsync("RunMesh.Contracts:StartRun");
        var endpoint = destinations.ShouldHaveSingleItem("one endpoint consumes StartRun");
        var errorQueue = $"{endpoint}_error";
        var before = await Mesh.Broker.QueueDepthAsync(errorQueue) ?? 0;
        var poison = $$"""{"messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:RunMesh.Contracts:StartRun"], "message": {"runId": """;

        await ReliabilityMesh.RunUnderFaultAsync(Mesh, output, "fault 7: poison message on RunMesh.Contracts:StartRun", async driver =>
        {
            await ReliabilityMesh.LoadInFlightAsync(Mesh, driver);
            fixture.InjectedPoison.Add(poison);
            await PublishRawAsync("RunMesh.Contracts:StartRun", poison);
            await Eventually.UntilAsync(
                async () => await Mesh.Broker.QueueDepthAsync(errorQueue) > before,
                TimeSpan.FromSeconds(60), $"the poison message in {errorQueue}", () => Mesh.Service("orchestrator").LogTail(20));
            return 1;
        }, fixture.InjectedPoison.ToList);

        (await Mesh.Broker.QueueDepthAsync(errorQueue)).ShouldBe(before + 1, "only the poison message is in the error queue");
        (await Mesh.Broker.PeekAsync(errorQueue, (int)before + 1)).ShouldContain(poison);
        (await Mesh.Service("orchestrator").ReadyAsync()).ShouldBeTrue("the orchestrator is still ready");
    }

    private async Task PublishRawAsync(string exchange, string body)
    {
        var factory = new ConnectionFactory { Uri = Mesh.Broker.AmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json",
            Persistent = true,
            MessageId = Guid.NewGuid().ToString(),
        };
        await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }
}
