using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Cli.Tests.Mesh;

/// <summary><c>approvals list|approve|reject</c> and <c>--approve</c> on a watch, run as processes against the mesh.</summary>
[Collection(SharedCliMesh.Name)]
public sealed class ApprovalCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task A_pending_gate_is_listed_and_approved_and_deciding_it_again_otherwise_exits_4()
    {
        var runId = await fixture.Mesh.StartRunAsync(CliFixture.Gated);
        var requestId = await PendingRequestAsync(runId);

        var list = await CliProcess.RunAsync(["approvals", "list", "--run", runId.ToString(), .. fixture.As("approver")]);
        list.ExitCode.ShouldBe(0, list.ToString());
        list.Output.ShouldContain(requestId);
        list.Output.ShouldContain("sign-off");
        var json = await CliProcess.RunAsync(["approvals", "list", "--run", runId.ToString(), "--json", .. fixture.As("approver")]);
        var api = await fixture.Mesh.GatewayClient("approver").GetFromJsonAsync<JsonObject>($"/api/approvals?state=pending&runId={runId}");
        JsonNode.DeepEquals(JsonNode.Parse(json.Output), api).ShouldBeTrue(json.ToString());

        var approve = await CliProcess.RunAsync(["approvals", "approve", requestId, "--comment", "Looks right.", .. fixture.As("approver")]);

        approve.ExitCode.ShouldBe(0, approve.ToString());
        approve.Stdout.ShouldHaveSingleItem().ShouldBe($"request {requestId}: approve by test-approver (run {runId}, gate sign-off)");
        await fixture.Mesh.WaitForRunStateAsync(runId, "completed");
        var reject = await CliProcess.RunAsync(["approvals", "reject", requestId, .. fixture.As("approver")]);
        reject.ExitCode.ShouldBe(4, reject.ToString());
        reject.Stderr[0].ShouldContain("409");
    }

    [Fact]
    public async Task A_viewer_may_not_decide_and_a_rejected_gate_fails_the_run_which_a_watch_reports_with_exit_1()
    {
        var runId = await fixture.Mesh.StartRunAsync(CliFixture.Gated);
        var requestId = await PendingRequestAsync(runId);

        var viewer = await CliProcess.RunAsync(["approvals", "approve", requestId, .. fixture.As("viewer")]);
        var reject = await CliProcess.RunAsync(["approvals", "reject", requestId, "--comment", "Steps are missing.", .. fixture.As("approver")]);
        var watch = await CliProcess.RunAsync(["runs", "watch", runId.ToString(), .. fixture.As("viewer")]);

        viewer.ExitCode.ShouldBe(4, viewer.ToString());
        viewer.Stderr[0].ShouldContain("403");
        reject.ExitCode.ShouldBe(0, reject.ToString());
        reject.Stdout.ShouldHaveSingleItem().ShouldStartWith($"request {requestId}: reject by test-approver");
        watch.ExitCode.ShouldBe(1, watch.ToString());
        watch.Output.ShouldContain("approval.decided phase=draft attempt=1 gate=sign-off action=reject decidedBy=test-approver");
        watch.Stdout[^1].ShouldStartWith($"run {runId} failed (");
    }

    [Fact]
    public async Task Start_with_watch_and_approve_passes_the_gate_with_the_approvers_key_of_the_env_file()
    {
        var directory = await fixture.EnvDirectoryAsync();

        var result = await CliProcess.RunAsync(["runs", "start", CliFixture.Gated, "--input", CliAgainstMeshTests.Feature(), "--watch", "--approve"], directory);

        result.ExitCode.ShouldBe(0, result.ToString());
        var runId = CliAgainstMeshTests.RunIdOf(result.Stdout[0]);
        result.Output.ShouldContain("approval.requested phase=draft attempt=1 gate=sign-off");
        result.Output.ShouldContain("approval.decided phase=draft attempt=1 gate=sign-off action=approve decidedBy=test-approver");
        result.Stdout[^1].ShouldBe($"run {runId} completed");
        var events = await fixture.Mesh.RunEventsAsync(runId);
        var terminal = events.Single(e => e["type"]!.GetValue<string>() == "run.completed")["seq"]!.GetValue<long>();
        CliAgainstMeshTests.EventLines(result).ShouldBe(Enumerable.Range(1, (int)terminal).Select(i => (long)i).ToList(), result.ToString());
        // The start went out with the submitter's key, the decision with the approver's.
        events.Single(e => e["type"]!.GetValue<string>() == "approval.decided")["payload"]!["decidedBy"]!.GetValue<string>().ShouldBe("test-approver");
    }

    [Fact]
    public async Task Approve_without_watch_is_a_usage_error()
    {
        var result = await CliProcess.RunAsync(["runs", "start", CliFixture.Gated, "--approve", .. fixture.As("submitter")]);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldHaveSingleItem().ShouldContain("--approve decides gates while watching: add --watch.");
    }

    /// <summary>The id of the run's pending request, once the approval service has it.</summary>
    private async Task<string> PendingRequestAsync(Guid runId)
    {
        var approver = fixture.Mesh.GatewayClient("approver");
        JsonObject? page = null;
        await Eventually.UntilAsync(
            async () => (page = await approver.GetFromJsonAsync<JsonObject>($"/api/approvals?state=pending&runId={runId}"))!["items"]!.AsArray().Count == 1,
            TimeSpan.FromSeconds(90), $"the pending request of run {runId}");
        return page!["items"]![0]!["requestId"]!.GetValue<string>();
    }
}
