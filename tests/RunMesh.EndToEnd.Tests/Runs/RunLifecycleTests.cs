using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using RabbitMQ.Client;
using RunMesh.Hashing;
using RunMesh.Hosting.Problems;
using RunMesh.Orchestrator.Runs.Api;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>
/// Every path of the run lifecycle through the real mesh (gateway, orchestrator, worker, approval, report processes):
/// repair, retries with backoff, worker timeouts, budget, run timeout, child runs, Idempotency-Key, a worker killed
/// in the middle of a phase. Tests of one class run one after another, so the kill does not disturb the others.
/// </summary>
public sealed class RunLifecycleTests(RunLifecycleFixture fixture) : IClassFixture<RunLifecycleFixture>
{
    [Fact]
    public async Task A_three_phase_run_completes_with_gap_free_events_valid_artifacts_timings_and_usage()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.ThreePhases);

        var run = await fixture.WaitForStateAsync(runId, "completed");

        var events = await fixture.EventsAsync(runId);
        events.Select(e => e["seq"]!.GetValue<long>()).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        var types = events.Select(e => e["type"]!.GetValue<string>()).ToList();
        types[0].ShouldBe("run.created");
        // The report service's ReportReady may already be recorded after the end (report.ready); nothing else may.
        types.Count(t => t == "run.completed").ShouldBe(1);
        types.SkipWhile(t => t != "run.completed").Skip(1).ShouldAllBe(t => t == "report.ready");
        types.Count(t => t == "phase.succeeded").ShouldBe(3);
        types.Count(t => t == "phase.attempt_failed").ShouldBe(1, "the review's first artifact is invalid and repaired");
        var phases = run["phases"]!.AsArray().Select(p => p!.AsObject()).ToList();
        phases.Select(p => p["key"]!.GetValue<string>()).ShouldBe(["spec", "review", "summary"]);
        phases.ShouldAllBe(p => p["state"]!.GetValue<string>() == "completed" && p["startedAt"] != null && p["endedAt"] != null);
        phases[1]["attempts"]!.GetValue<int>().ShouldBe(2);
        run["usage"]!["inputTokens"]!.GetValue<long>().ShouldBeGreaterThan(0);
        run["usage"]!["outputTokens"]!.GetValue<long>().ShouldBeGreaterThan(0);

        var client = fixture.Mesh.GatewayClient("viewer");
        var spec = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/artifacts/spec"))!;
        spec["title"]!.GetValue<string>().ShouldNotBeNull();
        spec["steps"]!.AsArray().Count.ShouldBeGreaterThan(0);
        var review = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/artifacts/review"))!;
        review["verdict"]!.GetValue<string>().ShouldBeOneOf("approve", "revise");
        using var summary = await client.GetAsync($"/api/runs/{runId}/artifacts/summary");
        var digest = summary.Headers.GetValues("X-Artifact-Digest").Single();
        digest.ShouldBe(Digest.Of(JsonNode.Parse(await summary.Content.ReadAsStringAsync())));
        digest.ShouldBe(phases[2]["artifactDigest"]!.GetValue<string>());
    }

    [Fact]
    public async Task One_trace_follows_a_run_from_the_gateway_through_the_orchestrator_and_the_bus_to_the_worker_and_back()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs")
        {
            Content = JsonContent.Create(RunLifecycleFixture.StartBody(RunLifecycleFixture.ThreePhases)),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await fixture.Mesh.GatewayClient("submitter").SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        var runId = Guid.Parse(body["runId"]!.GetValue<string>());

        await fixture.WaitForStateAsync(runId, "completed");

        var trace = $"TraceId:{traceId}";
        var mesh = fixture.Mesh;
        var orchestrator = mesh.Service("orchestrator");
        mesh.Gateway.LogLineContains(trace, "Request starting", "POST", "/api/runs").ShouldBeTrue(mesh.Gateway.LogTail(10));
        orchestrator.LogLineContains(trace, "Request starting", "POST", "/api/runs").ShouldBeTrue(orchestrator.LogTail(10));
        var worker = mesh.Service("phase-worker");
        await Eventually.UntilAsync(
            () => Task.FromResult(
                orchestrator.LogLineContains(trace, $"run {runId} #2 run.started")
                && worker.LogLineContains(trace, $"(run {runId}, phase spec, attempt 1)")
                && orchestrator.LogLineContains(trace, $"run {runId}", "phase.succeeded")
                && worker.LogLineContains(trace, $"(run {runId}, phase summary, attempt 1)")
                && orchestrator.LogLineContains(trace, $"run {runId}", "run.completed")),
            TimeSpan.FromSeconds(10),
            $"trace {traceId} in the gateway, the orchestrator's admission and saga, the worker, and the saga again",
            () => orchestrator.LogLinesContaining($"run {runId}") + Environment.NewLine + worker.LogLinesContaining($"run {runId}"));
    }

    [Fact]
    public async Task An_artifact_invalid_on_every_attempt_fails_the_run_after_one_repair()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.NeverValid);

        var run = await fixture.WaitForStateAsync(runId, "failed");

        run["error"]!["code"]!.GetValue<string>().ShouldBe("artifact_invalid_after_repair");
        run["error"]!["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        // What was wrong is in the run's error itself, not only in its events.
        run["error"]!["message"]!.GetValue<string>().ShouldBe(
            "Phase 'spec' produced an invalid artifact after 1 repair attempt(s); the last one (attempt 2): $.title: required property missing.");
        var failures = (await fixture.EventsAsync(runId)).Where(e => e["type"]!.GetValue<string>() == "phase.attempt_failed").ToList();
        failures.Count.ShouldBe(2, "the first attempt and its one repair");
        failures.ShouldAllBe(f => f["payload"]!["kind"]!.GetValue<string>() == "invalid_artifact");
        failures[0]["payload"]!["errors"]!.AsArray().ToJsonString().ShouldContain("title");
    }

    [Fact]
    public async Task Executor_errors_on_the_first_two_attempts_are_retried_with_backoff_and_the_run_completes()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.FlakyTwice);

        var run = await fixture.WaitForStateAsync(runId, "completed");

        var events = await fixture.EventsAsync(runId);
        var retries = events.Where(e => e["type"]!.GetValue<string>() == "phase.retry_scheduled").ToList();
        retries.Select(r => r["payload"]!["backoffSeconds"]!.GetValue<double>()).ShouldBe([0.2, 0.4]);
        events.Count(e => e["type"]!.GetValue<string>() == "phase.dispatched").ShouldBe(3);
        run["phases"]![0]!["attempts"]!.GetValue<int>().ShouldBe(3);
        // Each retry was dispatched no earlier than its backoff allowed.
        var failedAt = events.Where(e => e["type"]!.GetValue<string>() == "phase.attempt_failed").Select(e => e["at"]!.GetValue<DateTimeOffset>()).ToList();
        var dispatchedAt = events.Where(e => e["type"]!.GetValue<string>() == "phase.dispatched").Select(e => e["at"]!.GetValue<DateTimeOffset>()).ToList();
        (dispatchedAt[1] - failedAt[0]).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190));
        (dispatchedAt[2] - failedAt[1]).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(390));
    }

    [Fact]
    public async Task An_executor_error_on_every_attempt_fails_the_run_with_executor_error()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.Broken);

        var run = await fixture.WaitForStateAsync(runId, "failed");

        run["error"]!["code"]!.GetValue<string>().ShouldBe("executor_error");
        run["error"]!["message"]!.GetValue<string>().ShouldContain("simulated executor failure");
        (await fixture.EventTypesAsync(runId)).Count(t => t == "phase.dispatched").ShouldBe(2);
    }

    [Fact]
    public async Task An_attempt_that_times_out_in_the_worker_is_followed_by_the_next_attempt()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.StuckOnce);

        var run = await fixture.WaitForStateAsync(runId, "completed");

        var failure = (await fixture.EventsAsync(runId)).Single(e => e["type"]!.GetValue<string>() == "phase.attempt_failed");
        failure["payload"]!["kind"]!.GetValue<string>().ShouldBe("timeout");
        failure["payload"]!["attempt"]!.GetValue<int>().ShouldBe(1);
        run["phases"]![0]!["currentAttempt"]!.GetValue<int>().ShouldBe(2);
    }

    [Fact]
    public async Task A_late_result_of_a_timed_out_attempt_is_ignored_and_the_later_attempt_is_accepted()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.StuckOnceThenSlow);
        // The spec's first attempt hangs until the worker's 1 s timeout; the second one succeeds and the slow build runs.
        var events = await Eventually.UntilAsync(() => fixture.EventsAsync(runId),
            e => e.Any(x => x["type"]!.GetValue<string>() == "phase.dispatched" && x["payload"]!["phaseKey"]!.GetValue<string>() == "build"),
            TimeSpan.FromSeconds(60), $"run {runId} to dispatch its build phase", () => fixture.Mesh.LogTails(20));
        var timedOut = events.Single(e => e["type"]!.GetValue<string>() == "phase.attempt_failed");
        timedOut["payload"]!["kind"]!.GetValue<string>().ShouldBe("timeout");
        var staleExecutionId = timedOut["payload"]!["executionId"]!.GetValue<string>();
        var accepted = events.Single(e => e["type"]!.GetValue<string>() == "phase.succeeded" && e["payload"]!["phaseKey"]!.GetValue<string>() == "spec");
        accepted["payload"]!["attempt"]!.GetValue<int>().ShouldBe(2);
        var acceptedDigest = accepted["payload"]!["artifactDigest"]!.GetValue<string>();

        // The timed-out attempt's worker answers after all, as a stuck executor that came back would.
        var lateArtifact = new JsonObject { ["late"] = "the result of the timed-out attempt" };
        var late = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray("urn:message:RunMesh.Contracts:PhaseSucceeded"),
            ["message"] = new JsonObject
            {
                ["runId"] = runId.ToString(),
                ["phaseKey"] = "spec",
                ["attempt"] = 1,
                ["executionId"] = staleExecutionId,
                ["artifact"] = lateArtifact.DeepClone(),
                ["artifactDigest"] = Digest.Of(lateArtifact),
                ["usage"] = new JsonObject { ["inputTokens"] = 1, ["outputTokens"] = 1, ["costUsd"] = 0 },
                ["startedAt"] = DateTimeOffset.UtcNow.AddSeconds(-5),
                ["endedAt"] = DateTimeOffset.UtcNow,
                ["workerId"] = "a-worker-that-came-back",
            },
        };
        var factory = new ConnectionFactory { Uri = fixture.Mesh.Broker.AmqpUrl };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
            await channel.BasicPublishAsync("RunMesh.Contracts:PhaseSucceeded", "", mandatory: false, properties, Encoding.UTF8.GetBytes(late.ToJsonString()));
        }

        var run = await fixture.WaitForStateAsync(runId, "completed");

        var ignored = await Eventually.UntilAsync(() => fixture.EventsAsync(runId),
            e => e.Any(x => x["type"]!.GetValue<string>() == "message.ignored" && x["payload"]!["executionId"]?.GetValue<string>() == staleExecutionId),
            TimeSpan.FromSeconds(30), $"the late result of {staleExecutionId} to be recorded as message.ignored", () => fixture.Mesh.LogTails(20));
        var record = ignored.Single(e => e["type"]!.GetValue<string>() == "message.ignored" && e["payload"]!["executionId"]?.GetValue<string>() == staleExecutionId);
        record["payload"]!["messageType"]!.GetValue<string>().ShouldBe("PhaseSucceeded");
        record["payload"]!["attempt"]!.GetValue<int>().ShouldBe(1);
        ignored.Count(e => e["type"]!.GetValue<string>() == "phase.succeeded" && e["payload"]!["phaseKey"]!.GetValue<string>() == "spec").ShouldBe(1);
        run["phases"]![0]!["artifactDigest"]!.GetValue<string>().ShouldBe(acceptedDigest);
        using var artifact = await fixture.Mesh.GatewayClient("viewer").GetAsync($"/api/runs/{runId}/artifacts/spec");
        artifact.Headers.GetValues("X-Artifact-Digest").Single().ShouldBe(acceptedDigest);
        acceptedDigest.ShouldNotBe(Digest.Of(lateArtifact));
    }

    [Fact]
    public async Task A_run_over_its_budget_fails_with_budget_exceeded_before_the_next_phase()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.Costly);

        var run = await fixture.WaitForStateAsync(runId, "failed");

        run["error"]!["code"]!.GetValue<string>().ShouldBe("budget_exceeded");
        (await fixture.EventTypesAsync(runId)).Count(t => t == "phase.dispatched").ShouldBe(1);
    }

    [Fact]
    public async Task A_run_past_its_timeout_fails_with_run_timeout_and_its_worker_is_told_to_stop()
    {
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.SlowRun);

        var run = await fixture.WaitForStateAsync(runId, "failed", seconds: 60);

        run["error"]!["code"]!.GetValue<string>().ShouldBe("run_timeout");
        var worker = fixture.Mesh.Service("phase-worker");
        await Eventually.UntilAsync(() => Task.FromResult(worker.LogContains($"of run {runId} cancelled by CancelPhase; no result is published")),
            TimeSpan.FromSeconds(30), "the worker to log the cancelled execution", () => worker.LogTail(20));
    }

    [Fact]
    public async Task Child_runs_sit_one_level_below_their_parent_and_max_depth_is_enforced()
    {
        var parent = await fixture.StartRunAsync(RunLifecycleFixture.ThreePhases);
        var child = await fixture.StartRunAsync(RunLifecycleFixture.ThreePhases, new JsonObject { ["maxDepth"] = 1 }, parent);

        var childRun = await fixture.GetRunAsync(child);
        childRun["parentRunId"]!.GetValue<string>().ShouldBe(parent.ToString());
        childRun["depth"]!.GetValue<int>().ShouldBe(1);
        (await fixture.GetRunAsync(parent))["depth"]!.GetValue<int>().ShouldBe(0);

        // The child limited its subtree to depth 1: a grandchild is refused, and nothing is written.
        var (deeper, refusal) = await fixture.PostRunAsync(RunLifecycleFixture.StartBody(RunLifecycleFixture.ThreePhases, parentRunId: child));
        deeper.ShouldBe(HttpStatusCode.UnprocessableEntity, refusal.ToJsonString());
        refusal["code"]!.GetValue<string>().ShouldBe("max_depth_exceeded");
        var (orphan, missing) = await fixture.PostRunAsync(RunLifecycleFixture.StartBody(RunLifecycleFixture.ThreePhases, parentRunId: Guid.NewGuid()));
        orphan.ShouldBe(HttpStatusCode.UnprocessableEntity, missing.ToJsonString());
        missing["code"]!.GetValue<string>().ShouldBe("parent_run_not_found");
        (await fixture.ScalarAsync<long>("SELECT count(*) FROM runs WHERE definition->>'parentRunId' = @p", ("p", child.ToString()))).ShouldBe(0);
        await fixture.WaitForStateAsync(child, "completed");
    }

    [Fact]
    public async Task Fifty_concurrent_starts_with_one_idempotency_key_give_one_run_and_one_answer()
    {
        var body = RunLifecycleFixture.StartBody(RunLifecycleFixture.ThreePhases);
        var key = $"key-{Guid.NewGuid():N}";

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fixture.PostRunAsync(body.DeepClone().AsObject(), key)));

        // Each answer is the first request's (202 replayed) or "still in progress" (409); never a second run.
        answers.ShouldAllBe(a => a.Status == HttpStatusCode.Accepted || a.Status == HttpStatusCode.Conflict);
        var accepted = answers.Where(a => a.Status == HttpStatusCode.Accepted).ToList();
        accepted.ShouldNotBeEmpty();
        accepted.Select(a => a.Body["runId"]!.GetValue<string>()).Distinct().Count().ShouldBe(1);
        answers.Where(a => a.Status == HttpStatusCode.Conflict).ShouldAllBe(a => a.Body["code"]!.GetValue<string>() == "idempotency_key_in_progress");
        var feature = body["inputs"]!["feature"]!.GetValue<string>();
        (await fixture.ScalarAsync<long>("SELECT count(*) FROM runs WHERE definition->'inputs'->>'feature' = @f", ("f", feature))).ShouldBe(1);
    }

    [Fact]
    public async Task A_key_whose_first_request_is_still_in_progress_is_409_and_an_abandoned_one_is_taken_over()
    {
        var body = RunLifecycleFixture.StartBody(RunLifecycleFixture.ThreePhases);
        var key = $"key-{Guid.NewGuid():N}";
        // The claim a request makes before it answers, as the API hashes the body it read.
        var requestHash = Digest.Of(JsonSerializer.SerializeToNode(
            JsonSerializer.Deserialize<RunCommandsApi.StartRunRequest>(body.ToJsonString(), StrictJsonBody.Options), StrictJsonBody.Options));
        await ClaimAsync(key, requestHash, DateTimeOffset.UtcNow);

        var (busy, problem) = await fixture.PostRunAsync(body, key);

        busy.ShouldBe(HttpStatusCode.Conflict, problem.ToJsonString());
        problem["code"]!.GetValue<string>().ShouldBe("idempotency_key_in_progress");

        // The same claim, made two minutes ago by a request that died: the next request takes the key over.
        var stale = $"key-{Guid.NewGuid():N}";
        await ClaimAsync(stale, requestHash, DateTimeOffset.UtcNow.AddMinutes(-2));
        var (taken, answer) = await fixture.PostRunAsync(body, stale);
        taken.ShouldBe(HttpStatusCode.Accepted, answer.ToJsonString());
    }

    private async Task ClaimAsync(string key, string requestHash, DateTimeOffset at)
    {
        await using var connection = await fixture.Mesh.DatabaseOf("orchestrator").OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO idempotency_keys (identity, key, request_hash, created_at, expires_at) VALUES ('test-submitter', @key, @hash, @at, @expires)",
            connection);
        insert.Parameters.AddWithValue("key", key);
        insert.Parameters.AddWithValue("hash", requestHash);
        insert.Parameters.AddWithValue("at", at);
        insert.Parameters.AddWithValue("expires", at.AddHours(24));
        await insert.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_worker_killed_in_the_middle_of_a_phase_is_restarted_and_the_result_is_applied_once()
    {
        var worker = fixture.Mesh.Service("phase-worker");
        var runId = await fixture.StartRunAsync(RunLifecycleFixture.SlowPhase);
        await Eventually.UntilAsync(() => Task.FromResult(worker.LogContains($"(run {runId}, phase slow, attempt 1)")),
            TimeSpan.FromSeconds(60), "the worker to start the slow phase", () => worker.LogTail(20));

        await worker.KillAsync();
        await worker.RestartAsync();

        await fixture.WaitForStateAsync(runId, "completed");
        var types = await fixture.EventTypesAsync(runId);
        types.Count(t => t == "phase.succeeded").ShouldBe(1);
        types.Count(t => t == "phase.dispatched").ShouldBe(1, "the killed delivery was redelivered, not re-dispatched");
    }
}
