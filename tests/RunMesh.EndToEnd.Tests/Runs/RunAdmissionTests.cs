using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>Starting, deduplicating, cancelling and retrying runs through the gateway, and starting them from the bus.</summary>
public sealed class RunAdmissionTests(RunsFixture fixture) : IClassFixture<RunsFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string StartBody(string template, string feature, bool force = false) =>
        $$$"""{"template":"{{{template}}}","inputs":{"feature":"{{{feature}}}"},"model":{"name":"mock"},"options":{"force":{{{(force ? "true" : "false")}}}}}""";

    private async Task<(HttpStatusCode Status, JsonObject Body)> StartAsync(string body, string? idempotencyKey = null)
    {
        using var client = fixture.Mesh.GatewayClient("submitter");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = Json(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        text.ShouldNotBeNullOrWhiteSpace($"{(int)response.StatusCode} {response.StatusCode} with an empty body{Environment.NewLine}{fixture.Mesh.Service("orchestrator").LogTail(30)}");
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    private static Guid RunIdOf(JsonObject body) => Guid.Parse(body["runId"]!.GetValue<string>());

    [Fact]
    public async Task A_started_run_completes_and_an_identical_start_is_answered_without_executing_again()
    {
        var feature = $"dark mode {Guid.NewGuid():N}";
        var (status, body) = await StartAsync(StartBody(RunsFixture.Demo, feature));

        status.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        body["state"]!.GetValue<string>().ShouldBe("running");
        body["deduplicated"]!.GetValue<bool>().ShouldBeFalse();
        var runId = RunIdOf(body);
        await fixture.WaitForStateAsync(runId, "Completed");

        var (again, answer) = await StartAsync(StartBody(RunsFixture.Demo, feature));

        again.ShouldBe(HttpStatusCode.OK);
        answer["deduplicated"]!.GetValue<bool>().ShouldBeTrue();
        RunIdOf(answer).ShouldBe(runId);
        answer["state"]!.GetValue<string>().ShouldBe("completed");
        (await fixture.CountAsync("SELECT count(*) FROM run_events WHERE run_id = @id AND type = 'phase.dispatched'", ("id", runId))).ShouldBe(3);
    }

    [Fact]
    public async Task Fifty_identical_concurrent_starts_give_one_run()
    {
        var feature = $"concurrent {Guid.NewGuid():N}";

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => StartAsync(StartBody(RunsFixture.Demo, feature))));

        answers.ShouldAllBe(a => a.Status == HttpStatusCode.Accepted || a.Status == HttpStatusCode.OK);
        answers.Select(a => RunIdOf(a.Body)).Distinct().Count().ShouldBe(1);
        answers.Count(a => a.Status == HttpStatusCode.Accepted).ShouldBe(1);
        (await fixture.CountAsync("SELECT count(*) FROM runs WHERE definition->'inputs'->>'feature' = @f", ("f", feature))).ShouldBe(1);
    }

    [Fact]
    public async Task Force_starts_a_new_run_even_when_an_identical_one_exists()
    {
        var feature = $"forced {Guid.NewGuid():N}";
        var (_, first) = await StartAsync(StartBody(RunsFixture.Demo, feature));

        var (status, forced) = await StartAsync(StartBody(RunsFixture.Demo, feature, force: true));

        status.ShouldBe(HttpStatusCode.Accepted);
        RunIdOf(forced).ShouldNotBe(RunIdOf(first));
        await fixture.WaitForStateAsync(RunIdOf(forced), "Completed");
    }

    [Fact]
    public async Task The_same_idempotency_key_gives_the_same_answer_and_refuses_another_body()
    {
        var key = $"key-{Guid.NewGuid():N}";
        var body = StartBody(RunsFixture.Demo, $"idempotent {Guid.NewGuid():N}");

        var first = await StartAsync(body, key);
        var second = await StartAsync(body, key);
        var other = await StartAsync(StartBody(RunsFixture.Demo, "another body"), key);

        first.Status.ShouldBe(HttpStatusCode.Accepted);
        second.Status.ShouldBe(HttpStatusCode.Accepted);
        RunIdOf(second.Body).ShouldBe(RunIdOf(first.Body));
        other.Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        other.Body["code"]!.GetValue<string>().ShouldBe("idempotency_key_reused");
    }

    [Fact]
    public async Task A_refused_start_leaves_its_idempotency_key_free_for_the_corrected_request()
    {
        var key = $"key-{Guid.NewGuid():N}";

        var refused = await StartAsync("""{"template":"admission-demo@1","inputs":{"feature":42}}""", key);
        var corrected = await StartAsync(StartBody(RunsFixture.Demo, $"corrected {Guid.NewGuid():N}"), key);

        refused.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, refused.Body.ToJsonString());
        refused.Body["code"]!.GetValue<string>().ShouldBe("invalid_inputs");
        corrected.Status.ShouldBe(HttpStatusCode.Accepted, corrected.Body.ToJsonString());
        corrected.Body["deduplicated"]!.GetValue<bool>().ShouldBeFalse();
    }

    public static TheoryData<string, string, int, string> BadStarts => new()
    {
        { "malformed JSON", """{"template": """, 400, "invalid_request" },
        { "unknown field", """{"template":"admission-demo@1","inputs":{"feature":"x"},"surprise":1}""", 400, "invalid_request" },
        { "wrong type", """{"template":"admission-demo@1","inputs":{"feature":"x"},"options":{"maxDepth":"deep"}}""", 400, "invalid_request" },
        { "no template", """{"inputs":{"feature":"x"}}""", 400, "invalid_request" },
        { "null template", """{"template":null,"inputs":{"feature":"x"}}""", 400, "invalid_request" },
        { "null options", """{"template":"admission-demo@1","inputs":{"feature":"x"},"options":null}""", 400, "invalid_request" },
        { "not an object", """[1,2,3]""", 400, "invalid_request" },
        { "inputs against the schema", """{"template":"admission-demo@1","inputs":{"feature":42}}""", 422, "invalid_inputs" },
        { "missing input", """{"template":"admission-demo@1","inputs":{}}""", 422, "invalid_inputs" },
        { "unknown template", """{"template":"nope@9","inputs":{}}""", 422, "template_not_found" },
        { "budget above the template's", """{"template":"admission-demo@1","inputs":{"feature":"x"},"options":{"budget":{"maxCostUsd":-1}}}""", 422, "invalid_budget" },
    };

    [Theory]
    [MemberData(nameof(BadStarts))]
    public async Task A_bad_start_is_a_clear_problem_and_writes_nothing(string what, string body, int status, string code)
    {
        var runsBefore = await fixture.CountAsync("SELECT count(*) FROM runs");

        var (actual, problem) = await StartAsync(body);

        ((int)actual).ShouldBe(status, $"{what}: {problem.ToJsonString()}");
        problem["code"]!.GetValue<string>().ShouldBe(code, what);
        (await fixture.CountAsync("SELECT count(*) FROM runs")).ShouldBe(runsBefore, what);
    }

    public static TheoryData<string, string, int, string, string, string> WalkThroughStarts => new()
    {
        // what, body, status, code, the first error's path, and what its message says
        { "an empty object", "{}", 400, "invalid_request", "$.template", "is required" },
        { "a misspelt field", """{"templat":"admission-demo@1"}""", 400, "invalid_request", "$.templat", "is not a known field (did you mean 'template'?)" },
        { "a trailing comma", """{"template":"admission-demo@1",}""", 400, "invalid_request", "$",
            "is not valid JSON: line 1, column 32: a comma after the last member of an object (remove it)" },
        { "a template name without its version", """{"template":"admission-demo","inputs":{"feature":"x"}}""", 422, "template_not_found", "$.template",
            "'admission-demo' names a template but not its version: use name@version, e.g. 'admission-demo@1' (registered versions of 'admission-demo': 1)." },
        { "an input of the wrong type", """{"template":"admission-demo@1","inputs":{"feature":42}}""", 422, "invalid_inputs", "$.inputs.feature",
            "must be a string, got a number" },
        { "a missing input", """{"template":"admission-demo@1","inputs":{}}""", 422, "invalid_inputs", "$.inputs.feature", "required property missing" },
    };

    [Theory]
    [MemberData(nameof(WalkThroughStarts))]
    public async Task A_refused_start_names_the_field_and_says_what_is_wrong_in_the_users_words(
        string what, string body, int status, string code, string path, string message)
    {
        var (actual, problem) = await StartAsync(body);

        ((int)actual).ShouldBe(status, $"{what}: {problem.ToJsonString()}");
        problem["code"]!.GetValue<string>().ShouldBe(code, what);
        var first = problem["errors"]!.AsArray()[0]!;
        first["path"]!.GetValue<string>().ShouldBe(path, what);
        first["message"]!.GetValue<string>().ShouldBe(message, what);
        problem["detail"]!.GetValue<string>().ShouldNotContain("malformed", Case.Insensitive, what);
    }

    [Fact]
    public async Task A_start_whose_instructions_would_render_past_the_limit_is_refused_naming_the_phase_and_starts_nothing()
    {
        var runsBefore = await fixture.CountAsync("SELECT count(*) FROM runs");
        var outboxBefore = await fixture.CountAsync("SELECT count(*) FROM outbox_message");

        var (status, problem) = await StartAsync($$$"""{"template":"{{{RunsFixture.Wide}}}","inputs":{"feature":"{{{new string('w', 5000)}}}"}}""");

        status.ShouldBe(HttpStatusCode.UnprocessableEntity, problem.ToJsonString());
        problem["code"]!.GetValue<string>().ShouldBe("instructions_too_large");
        var message = problem["errors"]![0]!["message"]!.GetValue<string>();
        message.ShouldContain("phase \"spec\"");
        message.ShouldContain("render to 1000200 bytes");
        message.ShouldContain("over the limit of 262144 bytes");
        (await fixture.CountAsync("SELECT count(*) FROM runs")).ShouldBe(runsBefore);
        (await fixture.CountAsync("SELECT count(*) FROM outbox_message")).ShouldBeLessThanOrEqualTo(outboxBefore, "no ExecutePhase was queued");
    }

    [Fact]
    public async Task A_running_run_can_be_cancelled_once_and_its_running_executor_is_aborted()
    {
        var (_, started) = await StartAsync(StartBody(RunsFixture.Slow, $"slow {Guid.NewGuid():N}"));
        var runId = RunIdOf(started);
        await fixture.WaitForStateAsync(runId, "Running");
        var dispatched = (await fixture.Mesh.RunEventsAsync(runId)).Single(e => e["type"]!.GetValue<string>() == "phase.dispatched");
        var executionId = dispatched["payload"]!["executionId"]!.GetValue<string>();
        var worker = fixture.Mesh.Service("phase-worker");
        // Cancel once the mock executor is busy with the attempt (a minute of latency), so there is something to abort.
        await Eventually.UntilAsync(() => Task.FromResult(worker.LogContains($"Executing {executionId} (run {runId}")),
            TimeSpan.FromSeconds(30), $"the worker to start executing {executionId}", () => worker.LogTail(20));
        using var client = fixture.Mesh.GatewayClient("submitter");

        using var cancel = await client.PostAsync($"/api/runs/{runId}/cancel", Json("""{"reason":"not needed"}"""));
        cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted, await cancel.Content.ReadAsStringAsync());
        // The answer is the state the run is in once the cancel is accepted, and a read right after it agrees.
        (await cancel.Content.ReadFromJsonAsync<JsonObject>())!["state"]!.GetValue<string>().ShouldBe("cancelled");
        var read = await fixture.Mesh.GetRunAsync(runId);
        read["state"]!.GetValue<string>().ShouldBe("cancelled");
        read["error"]!["code"]!.GetValue<string>().ShouldBe("run_cancelled");
        read["error"]!["message"]!.GetValue<string>().ShouldBe("not needed");

        await Eventually.UntilAsync(
            () => Task.FromResult(worker.LogContains($"Execution {executionId} of run {runId} cancelled by CancelPhase; no result is published")),
            TimeSpan.FromSeconds(30), $"the worker to abort the running execution {executionId}", () => worker.LogTail(20));

        using var again = await client.PostAsync($"/api/runs/{runId}/cancel", null);
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await again.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>().ShouldBe("run_not_cancellable");
    }

    [Fact]
    public async Task A_failed_run_retried_completes_without_running_its_completed_phases_again()
    {
        var (_, started) = await StartAsync(StartBody(RunsFixture.Flaky, $"flaky {Guid.NewGuid():N}"));
        var runId = RunIdOf(started);
        await fixture.WaitForStateAsync(runId, "Failed");
        using var client = fixture.Mesh.GatewayClient("submitter");

        using var retry = await client.PostAsync($"/api/runs/{runId}/retry", null);
        retry.StatusCode.ShouldBe(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync());
        // The answer is the state the retry left the run in, and a read right after it agrees: the run is no longer the
        // failed one it was (the retry is applied, its event written, before the answer is sent).
        var answer = (await retry.Content.ReadFromJsonAsync<JsonObject>())!;
        answer["runId"]!.GetValue<string>().ShouldBe(runId.ToString());
        answer["state"]!.GetValue<string>().ShouldBe("running");
        var read = await fixture.Mesh.GetRunAsync(runId);
        read["state"]!.GetValue<string>().ShouldBeOneOf("running", "completed");
        read.ContainsKey("error").ShouldBeFalse(read.ToJsonString());
        (await fixture.CountAsync("SELECT count(*) FROM run_events WHERE run_id = @id AND type = 'run.retried'", ("id", runId))).ShouldBe(1);
        await fixture.WaitForStateAsync(runId, "Completed");

        (await fixture.CountAsync("SELECT count(*) FROM run_events WHERE run_id = @id AND type = 'phase.dispatched' AND payload->>'phaseKey' = 'first'", ("id", runId))).ShouldBe(1);
        (await fixture.CountAsync("SELECT generation::bigint FROM runs WHERE run_id = @id", ("id", runId))).ShouldBe(2);
        using var again = await client.PostAsync($"/api/runs/{runId}/retry", null);
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Of_concurrent_retries_of_one_failed_run_exactly_one_is_accepted()
    {
        var (_, started) = await StartAsync(StartBody(RunsFixture.Flaky, $"flaky {Guid.NewGuid():N}"));
        var runId = RunIdOf(started);
        await fixture.WaitForStateAsync(runId, "Failed");
        using var client = fixture.Mesh.GatewayClient("submitter");

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await client.PostAsync($"/api/runs/{runId}/retry", null);
            return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<JsonObject>());
        }));

        answers.Count(a => a.StatusCode == HttpStatusCode.Accepted).ShouldBe(1, string.Join(", ", answers.Select(a => a.StatusCode)));
        answers.Where(a => a.StatusCode != HttpStatusCode.Accepted)
            .ShouldAllBe(a => a.StatusCode == HttpStatusCode.Conflict && a.Body!["code"]!.GetValue<string>() == "run_not_retryable");
        await fixture.WaitForStateAsync(runId, "Completed");
        (await fixture.CountAsync("SELECT count(*) FROM run_events WHERE run_id = @id AND type = 'run.retried'", ("id", runId))).ShouldBe(1);
        (await fixture.CountAsync("SELECT count(*) FROM run_events WHERE run_id = @id AND type = 'message.ignored'", ("id", runId))).ShouldBe(0);
    }

    [Fact]
    public async Task A_start_published_by_a_raw_amqp_client_runs_once_under_the_senders_id_and_its_run_finished_reaches_a_raw_subscriber()
    {
        var runId = Guid.NewGuid();
        var envelope = $$"""
            {
              "messageId": "{{Guid.NewGuid()}}",
              "messageType": ["urn:message:RunMesh.Contracts:StartRun"],
              "message": {
                "runId": "{{runId}}",
                "template": "{{RunsFixture.Demo}}",
                "inputs": { "feature": "from the bus {{Guid.NewGuid():N}}" },
                "requestedBy": "billing-system"
              }
            }
            """;
        var factory = new ConnectionFactory { Uri = fixture.Mesh.OutsideSystemAmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
        // The outcome, as an outside system learns it: its own queue bound to the public RunFinished exchange.
        await channel.ExchangeDeclarePassiveAsync("RunMesh.Contracts:RunFinished");
        var finishedQueue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(finishedQueue, "RunMesh.Contracts:RunFinished", "");

        // Published twice, as a sender retrying after a lost confirm would: one run.
        for (var i = 0; i < 2; i++)
        {
            await channel.BasicPublishAsync("RunMesh.Contracts:StartRun", "", mandatory: false, properties, Encoding.UTF8.GetBytes(envelope));
        }

        await fixture.WaitForStateAsync(runId, "Completed");
        (await fixture.CountAsync("SELECT count(*) FROM runs WHERE run_id = @id", ("id", runId))).ShouldBe(1);
        (await fixture.CountAsync("SELECT count(*) FROM run_events WHERE run_id = @id AND type = 'run.created'", ("id", runId))).ShouldBe(1);

        var finished = await Eventually.UntilAsync(
            async () =>
            {
                // Other runs of this mesh may finish meanwhile: skip their envelopes.
                while (await channel.BasicGetAsync(finishedQueue, autoAck: true) is { } delivery)
                {
                    var text = Encoding.UTF8.GetString(delivery.Body.Span);
                    var received = JsonNode.Parse(text)!.AsObject();
                    if (received["message"]?["runId"]?.GetValue<string>() == runId.ToString())
                    {
                        return (Envelope: received, Text: text);
                    }
                }

                return default;
            },
            e => e.Envelope is not null, TimeSpan.FromSeconds(30), $"RunFinished of run {runId} in the raw subscriber's queue", () => fixture.Mesh.LogTails(15));
        finished.Envelope!["messageType"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldContain("urn:message:RunMesh.Contracts:RunFinished");
        finished.Envelope["message"]!["state"]!.GetValue<string>().ShouldBe("completed");
        finished.Envelope["message"]!["generation"]!.GetValue<int>().ShouldBe(1);
        // Compact JSON on the wire (MassTransit would indent it): no line breaks between the envelope's fields.
        finished.Text.ShouldNotContain('\n');

        // Money is a JSON number on the bus, as in the API (MassTransit's own converter would write "0.000069").
        var message = finished.Envelope["message"]!;
        message["totalUsage"]!["costUsd"]!.GetValueKind().ShouldBe(JsonValueKind.Number, finished.Text);
        message["totalUsage"]!["costUsd"]!.GetValue<decimal>().ShouldBeGreaterThan(0m);
        message["phases"]!.AsArray().SelectMany(p => p!["attempts"]!.AsArray())
            .ShouldAllBe(a => a!["usage"]!["costUsd"]!.GetValueKind() == JsonValueKind.Number);
        // And the envelope is the one docs/bus-contract.md shows, field for field.
        var documented = BusContractReference.Envelope("RunFinished", m => m["state"]!.GetValue<string>() == "completed");
        JsonShape.Differences(documented, finished.Envelope).ShouldBeEmpty(finished.Text);
    }
    [Fact]
    public async Task A_cancel_that_reaches_a_child_before_its_start_refuses_the_start_and_a_cancel_after_it_cancels_the_child()
    {
        var (status, body) = await StartAsync(StartBody(RunsFixture.Slow, $"parent {Guid.NewGuid():N}"));
        status.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        var parentId = RunIdOf(body);
        var factory = new ConnectionFactory { Uri = fixture.Mesh.OutsideSystemAmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var finishedQueue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(finishedQueue, "RunMesh.Contracts:RunFinished", "");

        // The cancel first, as a parent's cancel overtaking the start of a child it had just sent: the id is taken.
        var early = Guid.NewGuid();
        await PublishAsync(channel, "CancelRun", $$"""{ "runId": "{{early}}", "reason": "the parent was cancelled", "requestedBy": "run {{parentId}}" }""");
        await Eventually.UntilAsync(
            async () => await fixture.CountAsync("SELECT count(*) FROM run_id_claims WHERE run_id = @id AND cancelled", ("id", early)) == 1,
            TimeSpan.FromSeconds(30), $"the cancel of {early} recorded before its start", () => fixture.Mesh.LogTails(15));
        await PublishAsync(channel, "StartRun", ChildStart(early, parentId));

        var refused = await FinishedAsync(channel, finishedQueue, early);
        refused["state"]!.GetValue<string>().ShouldBe("failed");
        refused["error"]!["code"]!.GetValue<string>().ShouldBe("run_cancelled");
        refused["error"]!["message"]!.GetValue<string>().ShouldContain("the parent was cancelled");
        (await fixture.CountAsync("SELECT count(*) FROM runs WHERE run_id = @id", ("id", early))).ShouldBe(0);

        // The start first: the child exists, and the same cancel cancels it.
        var late = Guid.NewGuid();
        await PublishAsync(channel, "StartRun", ChildStart(late, parentId));
        await fixture.WaitForStateAsync(late, "Running");
        await PublishAsync(channel, "CancelRun", $$"""{ "runId": "{{late}}", "reason": "the parent was cancelled" }""");
        await fixture.WaitForStateAsync(late, "Cancelled");
        (await FinishedAsync(channel, finishedQueue, late))["state"]!.GetValue<string>().ShouldBe("cancelled");

        using var cancel = await fixture.Mesh.GatewayClient("submitter").PostAsync($"/api/runs/{parentId}/cancel", null);
        cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        string ChildStart(Guid runId, Guid parent) =>
            $$"""{ "runId": "{{runId}}", "parentRunId": "{{parent}}", "template": "{{RunsFixture.Demo}}", "inputs": { "feature": "child {{Guid.NewGuid():N}}" } }""";
    }

    private static async Task PublishAsync(IChannel channel, string messageType, string message)
    {
        var envelope = $$"""{ "messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:RunMesh.Contracts:{{messageType}}"], "message": {{message}} }""";
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
        await channel.BasicPublishAsync($"RunMesh.Contracts:{messageType}", "", mandatory: false, properties, Encoding.UTF8.GetBytes(envelope));
    }

    /// <summary>The message of the <c>RunFinished</c> of <paramref name="runId"/> that reaches <paramref name="queue"/> (others' are skipped).</summary>
    private async Task<JsonObject> FinishedAsync(IChannel channel, string queue, Guid runId)
    {
        var finished = await Eventually.UntilAsync(
            async () =>
            {
                while (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
                {
                    var received = JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))!["message"]!.AsObject();
                    if (received["runId"]?.GetValue<string>() == runId.ToString())
                    {
                        return received;
                    }
                }

                return null;
            },
            m => m is not null, TimeSpan.FromSeconds(30), $"the RunFinished of run {runId}", () => fixture.Mesh.LogTails(15));
        return finished!;
    }

    [Fact]
    public async Task A_start_from_the_bus_with_inputs_that_have_no_canonical_form_fails_with_invalid_inputs_and_leaves_no_error_message()
    {
        var runId = Guid.NewGuid();
        var envelope = $$"""
            {
              "messageId": "{{Guid.NewGuid()}}",
              "messageType": ["urn:message:RunMesh.Contracts:StartRun"],
              "message": { "runId": "{{runId}}", "template": "{{RunsFixture.Demo}}", "inputs": { "feature": 1e400 } }
            }
            """;
        var factory = new ConnectionFactory { Uri = fixture.Mesh.OutsideSystemAmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
        var finishedQueue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(finishedQueue, "RunMesh.Contracts:RunFinished", "");
        await channel.BasicPublishAsync("RunMesh.Contracts:StartRun", "", mandatory: false, properties, Encoding.UTF8.GetBytes(envelope));

        // The refusal is a failed RunFinished under the sender's id, shaped as docs/bus-contract.md shows a refused start.
        var refused = await Eventually.UntilAsync(
            async () =>
            {
                while (await channel.BasicGetAsync(finishedQueue, autoAck: true) is { } delivery)
                {
                    var received = JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))!.AsObject();
                    if (received["message"]?["runId"]?.GetValue<string>() == runId.ToString())
                    {
                        return received;
                    }
                }

                return null;
            },
            e => e is not null, TimeSpan.FromSeconds(30), $"the RunFinished of refused run {runId}", () => fixture.Mesh.LogTails(15));
        refused!["message"]!["state"]!.GetValue<string>().ShouldBe("failed");
        refused["message"]!["template"]!["version"]!.GetValue<int>().ShouldBe(0);
        var documented = BusContractReference.Envelope("RunFinished", m => m["template"]!["version"]!.GetValue<int>() == 0);
        JsonShape.Differences(documented, refused).ShouldBeEmpty(refused.ToJsonString());

        // The report service turns it into a report.
        using var viewer = fixture.Mesh.GatewayClient("viewer");
        var report = await Eventually.UntilAsync(
            async () =>
            {
                using var response = await viewer.GetAsync($"/api/runs/{runId}/report");
                return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            },
            r => r is not null, TimeSpan.FromSeconds(30), $"the report of refused run {runId}", () => fixture.Mesh.LogTails(15));
        report!["error"]!["code"]!.GetValue<string>().ShouldBe("invalid_inputs");
        report["error"]!["message"]!.GetValue<string>().ShouldContain("$.inputs");
        (await fixture.CountAsync("SELECT count(*) FROM runs WHERE run_id = @id", ("id", runId))).ShouldBe(0);
        var depths = await fixture.Mesh.Broker.QueueDepthsAsync();
        depths.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Value).ShouldBe(0);
    }
}
