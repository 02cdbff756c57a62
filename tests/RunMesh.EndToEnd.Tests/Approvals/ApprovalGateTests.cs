using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;
using RunMesh.EndToEnd.Tests.Gateway;
using RunMesh.Hashing;

namespace RunMesh.EndToEnd.Tests.Approvals;

/// <summary>Gated runs through the whole mesh: the run waits, an approver decides through the gateway, the run goes on or ends.</summary>
[Collection(ApprovalsMesh.Name)]
public sealed class ApprovalGateTests(ApprovalsFixture fixture)
{
    [Fact]
    public async Task A_gated_phase_waits_for_approval_and_approving_completes_the_run()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);

        var waiting = await fixture.WaitForRunStateAsync(runId, "awaitingApproval");
        var request = await fixture.WaitForPendingApprovalAsync(runId);

        request["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        request["gate"]!.GetValue<string>().ShouldBe("spec-approval");
        request["attempt"]!.GetValue<int>().ShouldBe(1);
        request["generation"]!.GetValue<int>().ShouldBe(1);
        request["artifactDigest"]!.GetValue<string>().ShouldStartWith("sha256:");
        request["artifactPreview"]!["title"].ShouldNotBeNull(request.ToJsonString());
        request["links"]!["run"]!.GetValue<string>().ShouldBe($"/api/runs/{runId}");
        waiting.ToJsonString().ShouldContain(request["artifactDigest"]!.GetValue<string>());

        // The request on its own: what is asked (the artifact's preview and digest) about which run, phase, attempt and gate.
        var requestId = ApprovalsFixture.IdOf(request);
        var shown = await fixture.GetApprovalAsync(requestId);
        ApprovalsFixture.IdOf(shown).ShouldBe(requestId);
        shown["runId"]!.GetValue<Guid>().ShouldBe(runId);
        shown["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        shown["attempt"]!.GetValue<int>().ShouldBe(1);
        shown["gate"]!.GetValue<string>().ShouldBe("spec-approval");
        shown["state"]!.GetValue<string>().ShouldBe("pending");
        shown["decision"].ShouldBeNull();
        var digest = shown["artifactDigest"]!.GetValue<string>();
        var specPhase = waiting["phases"]!.AsArray().Single(p => p!["key"]!.GetValue<string>() == "spec")!;
        digest.ShouldBe(specPhase["artifactDigest"]!.GetValue<string>(), "the digest of the artifact the run accepted");
        shown["links"]!["self"]!.GetValue<string>().ShouldBe($"/api/approvals/{requestId}");
        // The waiting run links to the request it waits on: its id is name-based, so the orchestrator knows it.
        waiting["links"]!["approval"]!.GetValue<string>().ShouldBe($"/api/approvals/{requestId}");
        requestId.ShouldBe(NameBasedId.Of($"{runId}:approval:spec:1:spec-approval"));
        var artifact = await fixture.Mesh.GatewayClient("viewer").GetFromJsonAsync<JsonNode>(shown["links"]!["artifact"]!.GetValue<string>());
        Digest.Of(artifact).ShouldBe(digest);
        JsonNode.DeepEquals(shown["artifactPreview"], artifact).ShouldBeTrue(
            $"a short artifact is previewed whole: {shown["artifactPreview"]?.ToJsonString()} vs {artifact?.ToJsonString()}");

        using var decided = await fixture.DecideAsync(requestId, "approve", "looks right");

        decided.StatusCode.ShouldBe(HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
        var decision = JsonNode.Parse(await decided.Content.ReadAsStringAsync())!;
        decision["state"]!.GetValue<string>().ShouldBe("approved");
        decision["decision"]!["decidedBy"]!.GetValue<string>().ShouldBe("test-approver");
        JsonNode.DeepEquals(decision["artifactPreview"], shown["artifactPreview"]).ShouldBeTrue(
            $"the decision's answer shows the request as GET does, preview included: {decision.ToJsonString()}");
        var completed = await fixture.WaitForRunStateAsync(runId, "completed");
        completed["links"]!.AsObject().ContainsKey("approval").ShouldBeFalse("a run no longer waiting links to no request");
        var events = await fixture.EventsOfAsync(runId, "approval.decided");
        events.Count.ShouldBe(1);
        events[0]["payload"]!["decidedAt"]!.GetValue<DateTimeOffset>().ShouldBe(decision["decision"]!["decidedAt"]!.GetValue<DateTimeOffset>());
        events[0]["payload"]!["action"]!.GetValue<string>().ShouldBe("approve");
        events[0]["payload"]!["decidedBy"]!.GetValue<string>().ShouldBe("test-approver");
        events[0]["payload"]!["comment"]!.GetValue<string>().ShouldBe("looks right");
    }

    [Fact]
    public async Task The_demo_template_runs_its_three_phases_through_the_gate_and_the_repair_to_completed()
    {
        // The template deploy/local/mesh.sh registers and runs, as the file holds it.
        await fixture.Mesh.RegisterTemplatesAsync(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy/local/demo/spec-review.yaml")));
        var runId = await fixture.StartRunAsync("spec-review@3");

        var request = await fixture.WaitForPendingApprovalAsync(runId);
        using (var decided = await fixture.DecideAsync(ApprovalsFixture.IdOf(request), "approve", "the demo approves"))
        {
            decided.StatusCode.ShouldBe(HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
        }

        var run = await fixture.WaitForRunStateAsync(runId, "completed");
        var phases = run["phases"]!.AsArray().Select(p => p!.AsObject()).ToList();
        phases.Select(p => p["key"]!.GetValue<string>()).ShouldBe(["spec", "review", "summary"]);
        phases.ShouldAllBe(p => p["state"]!.GetValue<string>() == "completed");
        phases.Select(p => p["attempts"]!.GetValue<int>()).ShouldBe([1, 2, 1], "the review's first artifact is invalid and repaired");
        var repair = (await fixture.EventsOfAsync(runId, "phase.dispatched")).Single(e => e["payload"]!["repair"]!.GetValue<bool>());
        repair["payload"]!["phaseKey"]!.GetValue<string>().ShouldBe("review");
    }

    [Fact]
    public async Task Rejecting_fails_the_run_with_approval_rejected()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var request = await fixture.WaitForPendingApprovalAsync(runId);

        using var decided = await fixture.DecideAsync(ApprovalsFixture.IdOf(request), "reject", "not what we asked for");

        decided.StatusCode.ShouldBe(HttpStatusCode.OK);
        var run = await fixture.WaitForRunStateAsync(runId, "failed");
        run["error"]!["code"]!.GetValue<string>().ShouldBe("approval_rejected");
        (await fixture.EventsOfAsync(runId, "phase.dispatched")).Count.ShouldBe(1, "the phase after the gate never ran");
    }

    [Fact]
    public async Task Aborting_aborts_the_run_with_approval_aborted()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var request = await fixture.WaitForPendingApprovalAsync(runId);

        using var decided = await fixture.DecideAsync(ApprovalsFixture.IdOf(request), "abort");

        decided.StatusCode.ShouldBe(HttpStatusCode.OK);
        var run = await fixture.WaitForRunStateAsync(runId, "aborted");
        run["error"]!["code"]!.GetValue<string>().ShouldBe("approval_aborted");
    }

    [Fact]
    public async Task Two_runs_of_one_template_each_get_their_own_request_on_a_database_that_holds_earlier_approvals()
    {
        // An earlier, decided approval in the database first.
        var earlier = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        using (var first = await fixture.DecideAsync(ApprovalsFixture.IdOf(await fixture.WaitForPendingApprovalAsync(earlier)), "approve"))
        {
            first.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await fixture.WaitForRunStateAsync(earlier, "completed");
        (await fixture.CountApprovalRowsAsync("SELECT count(*) FROM approval_requests WHERE state <> 'pending'")).ShouldBeGreaterThan(0);

        var runs = await Task.WhenAll(fixture.StartRunAsync(ApprovalsFixture.Gated), fixture.StartRunAsync(ApprovalsFixture.Gated));
        var requests = await Task.WhenAll(runs.Select(runId => fixture.WaitForPendingApprovalAsync(runId)));

        requests.Select(ApprovalsFixture.IdOf).Distinct().Count().ShouldBe(2);
        foreach (var request in requests)
        {
            using var decided = await fixture.DecideAsync(ApprovalsFixture.IdOf(request), "approve");
            decided.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        foreach (var runId in runs)
        {
            await fixture.WaitForRunStateAsync(runId, "completed");
        }
    }

    [Fact]
    public async Task Concurrent_approve_and_reject_on_one_request_give_exactly_one_decision()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var request = await fixture.WaitForPendingApprovalAsync(runId);
        var requestId = ApprovalsFixture.IdOf(request);
        // A queue of the test's own on the mesh's vhost, bound before anyone decides: it gets a copy of every
        // ApprovalDecided the approval service publishes, so the broker itself counts them.
        var factory = new ConnectionFactory { Uri = fixture.Mesh.Broker.AmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclarePassiveAsync("RunMesh.Contracts:ApprovalDecided");
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, "RunMesh.Contracts:ApprovalDecided", "");

        // Four approvers approve and four reject at the same moment.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => fixture.DecideAsync(requestId, i % 2 == 0 ? "approve" : "reject")));

        var accepted = answers.Where(a => a.StatusCode == HttpStatusCode.OK).ToList();
        var states = await Task.WhenAll(accepted.Select(async a => JsonNode.Parse(await a.Content.ReadAsStringAsync())!["state"]!.GetValue<string>()));
        states.Distinct().Count().ShouldBe(1, "every 200 answers the one decision");
        accepted.Count.ShouldBe(4, "the winner's action is answered again; the other action is refused");
        foreach (var loser in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
        {
            await loser.ShouldBeProblemAsync(HttpStatusCode.Conflict, "approval_already_decided");
        }

        var (expectedRun, expectedAction) = states[0] == "approved" ? ("completed", "approve") : ("failed", "reject");
        await fixture.WaitForRunStateAsync(runId, expectedRun);
        // Everything the approval service wrote to its outbox has been sent (delivered rows are removed), so any
        // second ApprovalDecided would be in the queue by now.
        await Eventually.UntilAsync(
            async () => await fixture.CountApprovalRowsAsync("SELECT count(*) FROM outbox_message") == 0,
            TimeSpan.FromSeconds(30), "the approval service's outbox to be empty", () => fixture.Mesh.Service("approval").LogTail(20));
        var published = new List<JsonNode>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } delivered)
        {
            var message = JsonNode.Parse(delivered.Body.Span)!["message"]!;
            if (message["requestId"]!.GetValue<Guid>() == requestId)
            {
                published.Add(message);
            }
        }

        var decision = published.ShouldHaveSingleItem("one ApprovalDecided for the request reached the broker");
        decision["action"]!.GetValue<string>().ShouldBe(expectedAction);
        decision["runId"]!.GetValue<Guid>().ShouldBe(runId);
        decision["attempt"]!.GetValue<int>().ShouldBe(request["attempt"]!.GetValue<int>());
        decision["artifactDigest"]!.GetValue<string>().ShouldBe(request["artifactDigest"]!.GetValue<string>());
        // And the saga applied it once: one decision recorded, none ignored as a second decision.
        (await fixture.EventsOfAsync(runId, "approval.decided")).Count.ShouldBe(1);
        (await fixture.EventsOfAsync(runId, "message.ignored")).ShouldBeEmpty();
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task The_same_decision_again_is_answered_again_and_another_one_is_a_conflict()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var requestId = ApprovalsFixture.IdOf(await fixture.WaitForPendingApprovalAsync(runId));
        using var first = await fixture.DecideAsync(requestId, "approve", "first");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var again = await fixture.DecideAsync(requestId, "approve", "second");
        using var other = await fixture.DecideAsync(requestId, "reject");

        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        var repeated = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
        repeated["decision"]!["comment"]!.GetValue<string>().ShouldBe("first", "the earlier decision stands");
        await other.ShouldBeProblemAsync(HttpStatusCode.Conflict, "approval_already_decided");
        await fixture.WaitForRunStateAsync(runId, "completed");
        (await fixture.EventsOfAsync(runId, "approval.decided")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Cancelling_a_run_closes_its_pending_request_and_deciding_it_is_a_conflict()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var requestId = ApprovalsFixture.IdOf(await fixture.WaitForPendingApprovalAsync(runId));

        using (var cancel = await fixture.Mesh.GatewayClient("submitter").PostAsync($"/api/runs/{runId}/cancel", null))
        {
            cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted, await cancel.Content.ReadAsStringAsync());
        }

        await fixture.WaitForRunStateAsync(runId, "cancelled");
        await fixture.WaitForApprovalStateAsync(runId, requestId, "closed");
        using var late = await fixture.DecideAsync(requestId, "approve");

        await late.ShouldBeProblemAsync(HttpStatusCode.Conflict, "approval_closed");
    }

    [Fact]
    public async Task Rejected_then_retried_the_phase_asks_again_and_approving_completes_the_run()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var first = await fixture.WaitForPendingApprovalAsync(runId);
        using (var reject = await fixture.DecideAsync(ApprovalsFixture.IdOf(first), "reject"))
        {
            reject.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await fixture.WaitForRunStateAsync(runId, "failed");
        using (var retry = await fixture.Mesh.GatewayClient("submitter").PostAsync($"/api/runs/{runId}/retry", null))
        {
            retry.StatusCode.ShouldBe(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync());
        }

        var second = await fixture.WaitForPendingApprovalAsync(runId);

        ApprovalsFixture.IdOf(second).ShouldNotBe(ApprovalsFixture.IdOf(first));
        second["attempt"]!.GetValue<int>().ShouldBeGreaterThan(first["attempt"]!.GetValue<int>());
        second["generation"]!.GetValue<int>().ShouldBe(2);
        using (var approve = await fixture.DecideAsync(ApprovalsFixture.IdOf(second), "approve"))
        {
            approve.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await fixture.WaitForRunStateAsync(runId, "completed");
        var all = await fixture.ApprovalsOfAsync(runId);
        all.Select(r => r["state"]!.GetValue<string>()).ShouldBe(["rejected", "approved"]);
    }

    [Fact]
    public async Task An_expiring_gate_nobody_decides_fails_the_run_with_approval_expired()
    {
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Expiring);
        var request = await fixture.WaitForPendingApprovalAsync(runId);
        request["expiresAt"].ShouldNotBeNull();

        var run = await fixture.WaitForRunStateAsync(runId, "failed");

        run["error"]!["code"]!.GetValue<string>().ShouldBe("approval_expired");
        await fixture.WaitForApprovalStateAsync(runId, ApprovalsFixture.IdOf(request), "expired");
        using var late = await fixture.DecideAsync(ApprovalsFixture.IdOf(request), "approve");
        await late.ShouldBeProblemAsync(HttpStatusCode.Conflict, "approval_expired");
        var decided = await fixture.EventsOfAsync(runId, "approval.decided");
        decided.Single()["payload"]!["action"]!.GetValue<string>().ShouldBe("expire");
    }
}
