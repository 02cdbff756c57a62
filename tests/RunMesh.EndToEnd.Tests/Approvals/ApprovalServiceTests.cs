using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using RunMesh.Contracts;
using RunMesh.EndToEnd.Tests.Gateway;

namespace RunMesh.EndToEnd.Tests.Approvals;

/// <summary>
/// The approval service on its own terms: messages in either order, duplicates, a restart, paging and the API's
/// refusals. Messages are published straight onto the mesh's vhost, as the orchestrator would.
/// </summary>
[Collection(ApprovalsMesh.Name)]
public sealed class ApprovalServiceTests(ApprovalsFixture fixture) : IAsyncLifetime
{
    private IBusControl? _bus;

    private IBusControl Bus => _bus ?? throw new InvalidOperationException("The bus has not started.");

    public async Task InitializeAsync()
    {
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(fixture.Mesh.Broker.AmqpUrl));
        await _bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    public async Task DisposeAsync()
    {
        if (_bus is not null)
        {
            await _bus.StopAsync();
        }
    }

    private static ApprovalRequested Request(Guid runId, int generation, int attempt = 1, string gate = "spec-approval") => new()
    {
        RequestId = NewId.NextGuid(),
        RunId = runId,
        Generation = generation,
        PhaseKey = "spec",
        Attempt = attempt,
        Gate = gate,
        ArtifactDigest = "sha256:" + new string('a', 64),
        ArtifactPreview = new JsonObject { ["title"] = "preview" },
        IdempotencyKey = $"{runId}:spec:{attempt}:{gate}",
    };

    private static RunFinished Finished(Guid runId, int generation, RunState state = RunState.Cancelled) => new()
    {
        RunId = runId,
        Generation = generation,
        State = state,
        Template = new TemplateRef { Name = "gated", Version = 1, Hash = "sha256:" + new string('b', 64) },
        InputBundleHash = "sha256:" + new string('c', 64),
        Inputs = [],
        Model = [],
        Options = new RunOptions(),
        EndedAt = DateTimeOffset.UtcNow,
    };

    private async Task<JsonObject> WaitForRequestAsync(Guid runId, Guid requestId, string state)
    {
        await fixture.WaitForApprovalStateAsync(runId, requestId, state);
        return (await fixture.ApprovalsOfAsync(runId)).Single(r => ApprovalsFixture.IdOf(r) == requestId);
    }

    [Fact]
    public async Task The_approval_and_report_services_each_get_every_RunFinished_on_a_queue_of_their_own()
    {
        // One queue shared by both would split the events between them (it did: both consumers were "run-finished").
        var destinations = await fixture.Mesh.Broker.BindingDestinationsAsync("RunMesh.Contracts:RunFinished");

        destinations.ShouldContain("approval-run-finished");
        destinations.ShouldContain("report-run-finished");
        destinations.ShouldNotContain("run-finished");
    }

    [Fact]
    public async Task A_RunFinished_of_a_run_without_gates_is_consumed_without_touching_the_database()
    {
        var (gateless, gated) = (NewId.NextGuid(), NewId.NextGuid());
        var messageIds = new[] { NewId.NextGuid(), NewId.NextGuid() };
        var approval = fixture.Mesh.Service("approval");
        var consumed = await approval.MessagesConsumedAsync(nameof(RunFinished));

        await Bus.Publish(Finished(gateless, generation: 1) with { ApprovalGates = 0 }, context => context.MessageId = messageIds[0]);
        await Bus.Publish(Finished(gated, generation: 1) with { ApprovalGates = 1 }, context => context.MessageId = messageIds[1]);

        await Eventually.UntilAsync(() => approval.MessagesConsumedAsync(nameof(RunFinished)), count => count >= consumed + 2, TimeSpan.FromSeconds(30),
            "the approval service to consume both RunFinished messages", () => fixture.Mesh.Service("approval").LogTail(20));
        await Eventually.UntilAsync(
            async () => await fixture.CountApprovalRowsAsync("SELECT count(*) FROM run_endings WHERE run_id = @id", ("id", gated)) == 1,
            TimeSpan.FromSeconds(30), "the gated run's ending to be recorded", () => fixture.Mesh.Service("approval").LogTail(20));
        (await fixture.CountApprovalRowsAsync("SELECT count(*) FROM run_endings WHERE run_id = @id", ("id", gateless))).ShouldBe(0);
        // The endpoint has no inbox (its writes are idempotent): neither message claimed a row.
        (await fixture.CountApprovalRowsAsync("SELECT count(*) FROM inbox_state WHERE message_id = ANY(@ids)", ("ids", messageIds))).ShouldBe(0);
    }

    [Fact]
    public async Task A_request_that_arrives_after_its_run_finished_is_stored_closed_and_one_of_a_later_generation_pending()
    {
        var runId = NewId.NextGuid();
        await Bus.Publish(Finished(runId, generation: 1));
        await Eventually.UntilAsync(
            async () => await fixture.CountApprovalRowsAsync("SELECT count(*) FROM run_endings WHERE run_id = @id", ("id", runId)) == 1,
            TimeSpan.FromSeconds(30), "the run's ending to be recorded", () => fixture.Mesh.Service("approval").LogTail(20));

        var late = Request(runId, generation: 1);
        var next = Request(runId, generation: 2, attempt: 2);
        await Bus.Publish(late);
        await Bus.Publish(next);

        (await WaitForRequestAsync(runId, late.RequestId, "closed"))["closedAt"].ShouldNotBeNull();
        await WaitForRequestAsync(runId, next.RequestId, "pending");
    }

    [Fact]
    public async Task A_run_that_finishes_closes_its_pending_requests_of_that_generation_only()
    {
        var runId = NewId.NextGuid();
        var request = Request(runId, generation: 1);
        await Bus.Publish(request);
        await WaitForRequestAsync(runId, request.RequestId, "pending");

        await Bus.Publish(Finished(runId, generation: 1, RunState.Failed));

        await WaitForRequestAsync(runId, request.RequestId, "closed");
        using var decided = await fixture.DecideAsync(request.RequestId, "approve");
        await decided.ShouldBeProblemAsync(HttpStatusCode.Conflict, "approval_closed");
    }

    [Fact]
    public async Task A_request_published_twice_with_different_message_ids_is_stored_once()
    {
        var runId = NewId.NextGuid();
        var request = Request(runId, generation: 1);

        await Bus.Publish(request);
        await Bus.Publish(request with { RequestId = NewId.NextGuid() });
        await Bus.Publish(Request(runId, generation: 1, gate: "second-gate"));

        await Eventually.UntilAsync(
            async () => (await fixture.ApprovalsOfAsync(runId)).Count == 2 && fixture.Mesh.Service("approval").LogContains(request.IdempotencyKey),
            TimeSpan.FromSeconds(30), "both distinct requests stored and the duplicate seen", () => fixture.Mesh.Service("approval").LogTail(20));
        (await fixture.CountApprovalRowsAsync("SELECT count(*) FROM approval_requests WHERE idempotency_key = @key", ("key", request.IdempotencyKey)))
            .ShouldBe(1);
    }

    [Fact]
    public async Task Pages_follow_the_cursor_oldest_first_without_gaps_or_repeats()
    {
        var runId = NewId.NextGuid();
        var published = Enumerable.Range(1, 5).Select(attempt => Request(runId, generation: 1, attempt: attempt)).ToList();
        foreach (var request in published)
        {
            await Bus.Publish(request);
        }

        await Eventually.UntilAsync(async () => (await fixture.ApprovalsOfAsync(runId)).Count == 5, TimeSpan.FromSeconds(30), "five requests stored");
        var client = fixture.Mesh.GatewayClient("approver");
        var seen = new List<int>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await client.GetFromJsonAsync<JsonObject>($"/api/approvals?runId={runId}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}")))!;
            seen.AddRange(page["items"]!.AsArray().Select(item => item!["attempt"]!.GetValue<int>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null && pages < 10);

        seen.Order().ShouldBe([1, 2, 3, 4, 5]);
        seen.Count.ShouldBe(5);
        pages.ShouldBe(3);
    }

    [Fact]
    public async Task With_order_newest_pages_follow_the_cursor_newest_first_without_gaps_or_repeats()
    {
        var runId = NewId.NextGuid();
        foreach (var attempt in Enumerable.Range(1, 5))
        {
            // One at a time, so the storage order (the list's order) is the attempt order.
            await Bus.Publish(Request(runId, generation: 1, attempt: attempt));
            await Eventually.UntilAsync(async () => (await fixture.ApprovalsOfAsync(runId)).Count == attempt, TimeSpan.FromSeconds(30), $"request {attempt} stored");
        }

        var client = fixture.Mesh.GatewayClient("approver");
        var seen = new List<int>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await client.GetFromJsonAsync<JsonObject>(
                $"/api/approvals?runId={runId}&order=newest&limit=2" + (cursor is null ? "" : $"&cursor={cursor}")))!;
            seen.AddRange(page["items"]!.AsArray().Select(item => item!["attempt"]!.GetValue<int>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null && pages < 10);
        var oldestFirst = (await client.GetFromJsonAsync<JsonObject>($"/api/approvals?runId={runId}&order=oldest"))!["items"]!.AsArray()
            .Select(item => item!["attempt"]!.GetValue<int>());

        seen.ShouldBe([5, 4, 3, 2, 1]);
        pages.ShouldBe(3);
        oldestFirst.ShouldBe([1, 2, 3, 4, 5]);
    }

    [Fact]
    public async Task Restarting_the_approval_service_loses_no_request_and_no_decision()
    {
        var approval = fixture.Mesh.Service("approval");
        await approval.KillAsync();
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        // The run asks while the service is down: the request waits in its queue.
        await fixture.WaitForRunStateAsync(runId, "awaitingApproval");

        await approval.RestartAsync();
        await fixture.WaitUntilApprovalsAreRoutedAsync();
        var request = await fixture.WaitForPendingApprovalAsync(runId);
        using (var decided = await fixture.DecideAsync(ApprovalsFixture.IdOf(request), "approve"))
        {
            decided.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // Killed right after the decision: the decision and its message were committed together.
        await approval.KillAsync();
        await approval.RestartAsync();
        await fixture.WaitUntilApprovalsAreRoutedAsync();

        await fixture.WaitForRunStateAsync(runId, "completed");
        (await fixture.EventsOfAsync(runId, "approval.decided")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Killing_the_approval_service_while_a_request_is_stored_pending_loses_nothing()
    {
        var approval = fixture.Mesh.Service("approval");
        var runId = await fixture.StartRunAsync(ApprovalsFixture.Gated);
        var requestId = ApprovalsFixture.IdOf(await fixture.WaitForPendingApprovalAsync(runId));
        var stored = await fixture.GetApprovalAsync(requestId);
        stored["state"]!.GetValue<string>().ShouldBe("pending");

        await approval.KillAsync();
        approval.IsRunning.ShouldBeFalse();
        await approval.RestartAsync();
        await fixture.WaitUntilApprovalsAreRoutedAsync();

        // The stored request is still there, unchanged and still pending; deciding it now ends the run as usual.
        var afterRestart = await fixture.GetApprovalAsync(requestId);
        afterRestart["state"]!.GetValue<string>().ShouldBe("pending");
        afterRestart["artifactDigest"]!.GetValue<string>().ShouldBe(stored["artifactDigest"]!.GetValue<string>());
        afterRestart["requestedAt"]!.GetValue<DateTimeOffset>().ShouldBe(stored["requestedAt"]!.GetValue<DateTimeOffset>());
        using (var decided = await fixture.DecideAsync(requestId, "approve", "after the restart"))
        {
            decided.StatusCode.ShouldBe(HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
            JsonNode.Parse(await decided.Content.ReadAsStringAsync())!["state"]!.GetValue<string>().ShouldBe("approved");
        }

        await fixture.WaitForRunStateAsync(runId, "completed");
        var decisions = await fixture.EventsOfAsync(runId, "approval.decided");
        decisions.ShouldHaveSingleItem()["payload"]!["requestId"]!.GetValue<string>().ShouldBe(requestId.ToString());
        decisions[0]["payload"]!["comment"]!.GetValue<string>().ShouldBe("after the restart");
        (await fixture.EventsOfAsync(runId, "approval.requested")).Count.ShouldBe(1, "the run asked once");
        (await fixture.EventsOfAsync(runId, "message.ignored")).ShouldBeEmpty();
        (await fixture.CountApprovalRowsAsync("SELECT count(*) FROM approval_requests WHERE run_id = @id", ("id", runId))).ShouldBe(1);
    }

    public static TheoryData<string, string, string?, string?, HttpStatusCode, string> BadRequests() => new()
    {
        { "GET", "/api/approvals/not-a-uuid", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", $"/api/approvals/{Guid.NewGuid()}", null, null, HttpStatusCode.NotFound, "approval_not_found" },
        { "GET", "/api/approvals?state=maybe", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?runId=123", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?limit=0", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?limit=100000", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?cursor=../../etc/passwd", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?order=latest", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?order=newest&cursor=a1.1", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "GET", "/api/approvals?order=oldest&cursor=d1.1", null, null, HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", "/api/approvals/not-a-uuid/decision", """{"action":"approve"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":"approve"}""", "application/json", HttpStatusCode.NotFound, "approval_not_found" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":"expire"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":"APPROVE"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":1}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":"approve","extra":true}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"comment":"no action"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":"approve","comment":"COMMENT"}""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action":""", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", "", "application/json", HttpStatusCode.BadRequest, "invalid_request" },
        { "POST", $"/api/approvals/{Guid.NewGuid()}/decision", "action=approve", "text/plain", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_a_problem_that_says_what_is_wrong(
        string method, string path, string? body, string? contentType, HttpStatusCode status, string code)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            // COMMENT stands for a comment one character over the limit.
            var text = body.Replace("COMMENT", new string('x', 2001), StringComparison.Ordinal);
            request.Content = new StringContent(text, Encoding.UTF8, contentType!);
        }

        using var response = await fixture.Mesh.GatewayClient("approver").SendAsync(request);

        await response.ShouldBeProblemAsync(status, code);
    }
}
