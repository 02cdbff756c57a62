using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using RunMesh.Contracts;
using RunMesh.EndToEnd.Tests.Gateway;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Runs;

namespace RunMesh.EndToEnd.Tests.Runs;

/// <summary>
/// The run queries through the gateway (role viewer): the list with filters and keyset paging, one run (and an alias),
/// the event log, the Server-Sent Events stream and the artifacts — on run rows written straight into the
/// orchestrator's database.
/// </summary>
public sealed class RunQueriesApiTests(RunQueriesFixture fixture) : IClassFixture<RunQueriesFixture>
{
    private static readonly TimeSpan s_streamTimeout = TimeSpan.FromSeconds(20);

    private HttpClient Viewer => fixture.Mesh.GatewayClient("viewer");

    private static Dictionary<string, string> Batch(out string batch)
    {
        batch = Guid.NewGuid().ToString("N")[..12];
        return new Dictionary<string, string> { ["batch"] = batch };
    }

    [Fact]
    public async Task Listing_pages_through_every_run_newest_first_without_duplicates()
    {
        var labels = Batch(out var batch);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        // Three runs share each creation time, so the run id breaks ties in the keyset.
        var runs = Enumerable.Range(0, 30).Select(i => RunQueriesFixture.NewRun("Completed", start.AddSeconds(i / 3), labels)).ToList();
        await fixture.SaveAllAsync(runs);

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs?label=batch:{batch}&limit=10{(cursor is null ? "" : $"&cursor={cursor}")}");
            pages++;
            page.GetProperty("items").GetArrayLength().ShouldBe(10);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("runId").GetGuid()));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null && pages < 10);

        pages.ShouldBe(3);
        seen.Distinct().Count().ShouldBe(30);
        var expected = runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.CorrelationId.ToString(), StringComparer.Ordinal).Select(r => r.CorrelationId);
        seen.ShouldBe(expected);
    }

    [Fact]
    public async Task Listing_filters_by_state_template_and_every_label()
    {
        var labels = Batch(out var batch);
        var now = DateTimeOffset.UtcNow;
        var completed = RunQueriesFixture.NewRun("Completed", now, new Dictionary<string, string>(labels) { ["team"] = "a" });
        var failed = RunQueriesFixture.NewRun("Failed", now.AddSeconds(1), new Dictionary<string, string>(labels) { ["team"] = "b" }, "code-review", 2);
        var waiting = RunQueriesFixture.NewRun("AwaitingApproval", now.AddSeconds(2), new Dictionary<string, string>(labels) { ["team"] = "a" }, "code-review", 3);
        await fixture.SaveAllAsync([completed, failed, waiting]);

        (await ListAsync($"label=batch:{batch}")).ShouldBe([waiting.CorrelationId, failed.CorrelationId, completed.CorrelationId]);
        (await ListAsync($"label=batch:{batch}&state=awaitingApproval")).ShouldBe([waiting.CorrelationId]);
        (await ListAsync($"label=batch:{batch}&template=code-review")).ShouldBe([waiting.CorrelationId, failed.CorrelationId]);
        (await ListAsync($"label=batch:{batch}&template=code-review@2")).ShouldBe([failed.CorrelationId]);
        (await ListAsync($"label=batch:{batch}&label=team:a")).ShouldBe([waiting.CorrelationId, completed.CorrelationId]);
        (await ListAsync($"label=batch:{batch}&label=team:a&state=completed")).ShouldBe([completed.CorrelationId]);
        (await ListAsync($"label=batch:{batch}&label=team:c")).ShouldBeEmpty();

        var page = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs?label=batch:{batch}&state=failed");
        var item = page.GetProperty("items")[0];
        item.GetProperty("state").GetString().ShouldBe("failed");
        item.GetProperty("template").GetProperty("name").GetString().ShouldBe("code-review");
        item.GetProperty("template").GetProperty("version").GetInt32().ShouldBe(2);
        item.GetProperty("labels").GetProperty("team").GetString().ShouldBe("b");
        item.GetProperty("error").GetProperty("code").GetString().ShouldBe("executor_error");
        item.GetProperty("links").GetProperty("self").GetString().ShouldBe($"/api/runs/{failed.CorrelationId}");
        item.TryGetProperty("createdAt", out _).ShouldBeTrue();
        item.TryGetProperty("startedAt", out _).ShouldBeTrue();
        item.TryGetProperty("endedAt", out _).ShouldBeTrue();
        page.GetProperty("nextCursor").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Listing_by_creation_time_answers_the_runs_created_in_the_window()
    {
        var labels = Batch(out var batch);
        var noon = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var runs = Enumerable.Range(0, 4).Select(i => RunQueriesFixture.NewRun("Completed", noon.AddMinutes(i * 10), labels)).ToList();
        await fixture.SaveAllAsync(runs);
        var (at1200, at1210, at1220, at1230) = (runs[0].CorrelationId, runs[1].CorrelationId, runs[2].CorrelationId, runs[3].CorrelationId);

        // [createdAfter, createdBefore): the first bound is included, the second is not, so windows side by side never overlap.
        (await ListAsync($"label=batch:{batch}&createdAfter=2025-06-01T12:10:00Z")).ShouldBe([at1230, at1220, at1210]);
        (await ListAsync($"label=batch:{batch}&createdBefore=2025-06-01T12:10:00Z")).ShouldBe([at1200]);
        (await ListAsync($"label=batch:{batch}&createdAfter=2025-06-01T12:05:00Z&createdBefore=2025-06-01T12:25:00Z")).ShouldBe([at1220, at1210]);
        // The same window with offsets (a '+' in a URL is %2B) and more fractional digits than PostgreSQL keeps.
        (await ListAsync($"label=batch:{batch}&createdAfter=2025-06-01T14:05:00.000000001%2B02:00&createdBefore=2025-06-01T07:25:00-05:00"))
            .ShouldBe([at1220, at1210]);
        (await ListAsync($"label=batch:{batch}&createdAfter=2030-01-01T00:00:00Z")).ShouldBeEmpty();

        var firstPage = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs?label=batch:{batch}&createdAfter=2025-06-01T12:00:00Z&limit=2");
        var cursor = firstPage.GetProperty("nextCursor").GetString();
        (await ListAsync($"label=batch:{batch}&createdAfter=2025-06-01T12:00:00Z&limit=2&cursor={cursor}")).ShouldBe([at1210, at1200]);
    }

    [Theory]
    [InlineData("createdAfter=2025-06-01", "createdAfter")]
    [InlineData("createdAfter=2025-06-01T12:00:00", "createdAfter")]
    [InlineData("createdAfter=2025-06-01T14:00:00+02:00", "createdAfter")]
    [InlineData("createdBefore=yesterday", "createdBefore")]
    [InlineData("createdAfter=2025-06-01T12:00:00Z&createdBefore=2025-06-01T11:00:00Z", "createdAfter")]
    [InlineData("state=done", "state")]
    [InlineData("template=spec-review@0", "template")]
    [InlineData("template=spec-review@x", "template")]
    [InlineData("label=no-colon", "label")]
    [InlineData("label=:value", "label")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("status=running", "status")]
    public async Task Listing_with_a_bad_parameter_is_a_400_naming_it(string query, string parameter)
    {
        using var response = await Viewer.GetAsync($"/api/runs?{query}");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!.ShouldContain($"'{parameter}'");
    }

    [Fact]
    public async Task A_run_shows_its_phases_usage_budget_error_and_links()
    {
        var run = RunQueriesFixture.NewRun("Failed", DateTimeOffset.UtcNow, new Dictionary<string, string> { ["team"] = "a" });
        run.ReportUrl = $"/api/runs/{run.CorrelationId}/report";
        await fixture.SaveAsync(run, RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.RunFailed);

        var body = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}");

        body.GetProperty("runId").GetGuid().ShouldBe(run.CorrelationId);
        body.GetProperty("state").GetString().ShouldBe("failed");
        body.TryGetProperty("aliasOf", out _).ShouldBeFalse();
        var template = body.GetProperty("template");
        template.GetProperty("name").GetString().ShouldBe("spec-review");
        template.GetProperty("version").GetInt32().ShouldBe(1);
        template.GetProperty("hash").GetString().ShouldBe(run.Definition.Template.Hash);
        body.GetProperty("inputBundleHash").GetString().ShouldBe(run.Definition.InputBundleHash);
        body.GetProperty("startedAt").GetDateTimeOffset().ShouldBe(run.StartedAt!.Value, TimeSpan.FromMilliseconds(1));
        body.GetProperty("endedAt").GetDateTimeOffset().ShouldBe(run.EndedAt!.Value, TimeSpan.FromMilliseconds(1));
        var spec = body.GetProperty("phases")[0];
        spec.GetProperty("key").GetString().ShouldBe("spec");
        spec.GetProperty("state").GetString().ShouldBe("completed");
        spec.GetProperty("attempts").GetInt32().ShouldBe(2);
        spec.GetProperty("currentAttempt").GetInt32().ShouldBe(2);
        spec.GetProperty("artifactDigest").GetString().ShouldBe(Digest.Of(RunQueriesFixture.SpecArtifact));
        body.GetProperty("phases")[1].GetProperty("artifactDigest").ValueKind.ShouldBe(JsonValueKind.Null);
        body.GetProperty("usage").GetProperty("inputTokens").GetInt64().ShouldBe(120);
        body.GetProperty("usage").GetProperty("outputTokens").GetInt64().ShouldBe(80);
        body.GetProperty("usage").GetProperty("costUsd").GetDecimal().ShouldBe(0.0125m);
        body.GetProperty("budget").GetProperty("maxCostUsd").GetDecimal().ShouldBe(5.0m);
        body.GetProperty("error").GetProperty("code").GetString().ShouldBe("executor_error");
        body.GetProperty("error").GetProperty("phaseKey").GetString().ShouldBe("review");
        body.GetProperty("reportUrl").GetString().ShouldBe(run.ReportUrl);
        body.GetProperty("generation").GetInt32().ShouldBe(1);
        body.GetProperty("labels").GetProperty("team").GetString().ShouldBe("a");
        var links = body.GetProperty("links");
        links.GetProperty("self").GetString().ShouldBe($"/api/runs/{run.CorrelationId}");
        links.GetProperty("events").GetString().ShouldBe($"/api/runs/{run.CorrelationId}/events");
        links.GetProperty("stream").GetString().ShouldBe($"/api/runs/{run.CorrelationId}/events/stream");
        links.GetProperty("artifacts").GetProperty("spec").GetString().ShouldBe($"/api/runs/{run.CorrelationId}/artifacts/spec");
    }

    [Fact]
    public async Task A_run_waiting_at_a_gate_links_to_its_pending_approval_request()
    {
        var run = RunQueriesFixture.NewRun("AwaitingApproval", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        var requestId = NameBasedId.Of($"{run.CorrelationId}:approval:review:1:review-approval");
        run.Approval = new PendingApproval(requestId, "review", 1, "review-approval", Digest.Of(RunQueriesFixture.SpecArtifact));
        var running = RunQueriesFixture.NewRun("Running", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAllAsync([run, running]);

        var waiting = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}");
        var other = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{running.CorrelationId}");

        waiting.GetProperty("state").GetString().ShouldBe("awaitingApproval");
        waiting.GetProperty("links").GetProperty("approval").GetString().ShouldBe($"/api/approvals/{requestId}");
        other.GetProperty("links").TryGetProperty("approval", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task A_running_run_has_no_error_or_report_yet()
    {
        var run = RunQueriesFixture.NewRun("Running", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, RunEventTypes.RunCreated);

        var body = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}");

        body.GetProperty("state").GetString().ShouldBe("running");
        body.TryGetProperty("error", out _).ShouldBeFalse();
        body.TryGetProperty("reportUrl", out _).ShouldBeFalse();
        body.GetProperty("endedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        body.GetProperty("phases")[1].GetProperty("state").GetString().ShouldBe("running");
        body.GetProperty("phases")[1].GetProperty("currentAttempt").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task An_alias_answers_the_run_it_points_at()
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, RunEventTypes.RunCreated, RunEventTypes.RunCompleted);
        var alias = Guid.NewGuid();
        await fixture.AddAliasAsync(alias, run.CorrelationId);

        var body = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{alias}");

        body.GetProperty("runId").GetGuid().ShouldBe(run.CorrelationId);
        body.GetProperty("aliasOf").GetGuid().ShouldBe(alias);
        body.GetProperty("state").GetString().ShouldBe("completed");
        var events = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{alias}/events");
        events.GetProperty("items").GetArrayLength().ShouldBe(2);
    }

    [Theory]
    [InlineData("/api/runs/{id}", "run_not_found")]
    [InlineData("/api/runs/{id}/events", "run_not_found")]
    [InlineData("/api/runs/{id}/events/stream", "run_not_found")]
    [InlineData("/api/runs/{id}/artifacts/spec", "artifact_not_found")]
    public async Task An_unknown_run_is_a_404(string path, string code)
    {
        using var response = await Viewer.GetAsync(path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal));

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, code);
    }

    [Theory]
    [InlineData("/api/runs/not-a-run-id")]
    [InlineData("/api/runs/12345/events")]
    [InlineData("/api/runs/xyz/events/stream")]
    [InlineData("/api/runs/xyz/artifacts/spec")]
    public async Task A_malformed_run_id_is_a_400_that_says_so(string path)
    {
        using var response = await Viewer.GetAsync(path);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!.ShouldContain("UUID");
    }

    [Fact]
    public async Task Events_are_paged_by_seq()
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, s_completedLog);

        var first = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}/events?limit=3");
        var second = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}/events?after={first.GetProperty("nextAfter").GetInt64()}&limit=3");
        var last = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}/events?after={second.GetProperty("nextAfter").GetInt64()}&limit=3");

        Seqs(first).ShouldBe([1, 2, 3]);
        Seqs(second).ShouldBe([4, 5, 6]);
        Seqs(last).ShouldBe([7]);
        last.GetProperty("nextAfter").ValueKind.ShouldBe(JsonValueKind.Null);
        var item = first.GetProperty("items")[0];
        item.GetProperty("type").GetString().ShouldBe(RunEventTypes.RunCreated);
        item.GetProperty("payload").GetProperty("n").GetInt64().ShouldBe(1);
        item.TryGetProperty("at", out _).ShouldBeTrue();
        Seqs(await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs/{run.CorrelationId}/events")).ShouldBe([1, 2, 3, 4, 5, 6, 7]);

        using var bad = await Viewer.GetAsync($"/api/runs/{run.CorrelationId}/events?limit=1001");
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task The_stream_replays_from_the_first_event_and_closes_after_the_terminal_event()
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, s_completedLog);

        using var response = await OpenStreamAsync(run.CorrelationId, lastEventId: null);
        var events = await ReadToEndAsync(response);

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        events.Select(e => e.Id).ShouldBe([1, 2, 3, 4, 5, 6]);
        events[^1].Type.ShouldBe(RunEventTypes.RunCompleted);
        var data = JsonDocument.Parse(events[0].Data).RootElement;
        data.GetProperty("seq").GetInt64().ShouldBe(1);
        data.GetProperty("type").GetString().ShouldBe(RunEventTypes.RunCreated);
        data.GetProperty("payload").GetProperty("n").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task The_stream_resumes_after_last_event_id()
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, s_completedLog);

        using var response = await OpenStreamAsync(run.CorrelationId, lastEventId: 3);

        (await ReadToEndAsync(response)).Select(e => e.Id).ShouldBe([4, 5, 6]);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public async Task A_stream_asked_for_past_the_terminal_event_is_204(long lastEventId)
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, s_completedLog);

        using var response = await OpenStreamAsync(run.CorrelationId, lastEventId);

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_live_stream_delivers_events_appended_after_it_connected_and_passes_a_retried_failure()
    {
        var run = RunQueriesFixture.NewRun("Running", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        // The run failed once and was retried: run.failed is not its end any more.
        await fixture.SaveAsync(run, RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.RunFailed, RunEventTypes.RunRetried);

        using var response = await OpenStreamAsync(run.CorrelationId, lastEventId: null);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new ServerSentEventReader(body);
        using var timeout = new CancellationTokenSource(s_streamTimeout);
        for (var seq = 1; seq <= 4; seq++)
        {
            (await reader.ReadAsync(timeout.Token))!.Id.ShouldBe(seq);
        }

        await fixture.AppendAsync(run.CorrelationId, "Running", RunEventTypes.PhaseSucceeded);
        var live = await reader.ReadAsync(timeout.Token);
        live!.Id.ShouldBe(5);
        live.Type.ShouldBe(RunEventTypes.PhaseSucceeded);

        await fixture.AppendAsync(run.CorrelationId, "Completed", RunEventTypes.RunCompleted, RunEventTypes.ReportReady);
        (await reader.ReadAsync(timeout.Token))!.Type.ShouldBe(RunEventTypes.RunCompleted);
        (await reader.ReadAsync(timeout.Token)).ShouldBeNull();
    }

    [Fact]
    public async Task Head_on_an_event_stream_answers_its_headers_at_once_without_opening_the_stream()
    {
        var run = RunQueriesFixture.NewRun("Running", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, RunEventTypes.RunCreated);
        using var timeout = new CancellationTokenSource(s_streamTimeout);

        using var response = await Viewer.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/runs/{run.CorrelationId}/events/stream"), timeout.Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        (await response.Content.ReadAsByteArrayAsync(timeout.Token)).ShouldBeEmpty();
        var orchestrator = fixture.Mesh.Service("orchestrator");
        await Eventually.UntilAsync(
            () => Task.FromResult(orchestrator.LogLineContains("Request finished", " HEAD ", $"/api/runs/{run.CorrelationId}/events/stream - 200")),
            TimeSpan.FromSeconds(15),
            "the orchestrator to have answered the HEAD (and ended it) itself",
            () => orchestrator.LogTail(20));
    }

    [Fact]
    public async Task A_client_that_disconnects_ends_its_stream_without_errors_in_the_log()
    {
        var run = RunQueriesFixture.NewRun("Running", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, RunEventTypes.RunCreated);
        var orchestrator = fixture.Mesh.Service("orchestrator");
        var failuresBefore = Failures(orchestrator);

        using (var response = await Viewer.GetAsync($"/api/runs/{run.CorrelationId}/events/stream", HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            using var reader = new ServerSentEventReader(body);
            using var timeout = new CancellationTokenSource(s_streamTimeout);
            (await reader.ReadAsync(timeout.Token))!.Id.ShouldBe(1);
        }

        // The orchestrator notices that the client (through the gateway) is gone and ends the request: "Request finished … - 200".
        await Eventually.UntilAsync(
            () => Task.FromResult(orchestrator.LogContains($"/api/runs/{run.CorrelationId}/events/stream - 200")),
            TimeSpan.FromSeconds(15),
            "the stream's request to end",
            () => orchestrator.LogTail(20));
        Failures(orchestrator).ShouldBe(failuresBefore, orchestrator.LogTail(20));
    }

    [Fact]
    public async Task Artifacts_are_served_accepted_or_by_attempt_with_their_digest()
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, RunEventTypes.RunCreated);
        var accepted = Digest.Of(RunQueriesFixture.SpecArtifact);
        var invalid = Digest.Of(RunQueriesFixture.InvalidSpecArtifact);

        using var response = await Viewer.GetAsync($"/api/runs/{run.CorrelationId}/artifacts/spec");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        response.Headers.GetValues("X-Artifact-Digest").Single().ShouldBe(accepted);
        response.Headers.ETag!.Tag.ShouldBe($"\"{accepted}\"");
        (await response.Content.ReadAsByteArrayAsync()).ShouldBe(CanonicalJson.Serialize(RunQueriesFixture.SpecArtifact));

        using var first = await Viewer.GetAsync($"/api/runs/{run.CorrelationId}/artifacts/spec?attempt=1");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.GetValues("X-Artifact-Digest").Single().ShouldBe(invalid);
        Digest.Of(JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement).ShouldBe(invalid);

        using var unchanged = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{run.CorrelationId}/artifacts/spec");
        unchanged.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{accepted}\""));
        (await Viewer.SendAsync(unchanged)).StatusCode.ShouldBe(HttpStatusCode.NotModified);

        foreach (var (path, detail) in new[]
        {
            ("artifacts/spec?attempt=9", "has no attempt 9 of phase 'spec'."),
            ("artifacts/review", "has no accepted artifact for phase 'review'."),
            ("artifacts/nothing", "has no accepted artifact for phase 'nothing'."),
        })
        {
            using var missing = await Viewer.GetAsync($"/api/runs/{run.CorrelationId}/{path}");
            await missing.ShouldBeProblemAsync(HttpStatusCode.NotFound, "artifact_not_found");
            JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString().ShouldBe($"Run '{run.CorrelationId}' {detail}");
        }

        using var badAttempt = await Viewer.GetAsync($"/api/runs/{run.CorrelationId}/artifacts/spec?attempt=0");
        await badAttempt.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("")]
    [InlineData("/{id}")]
    [InlineData("/{id}/events")]
    [InlineData("/{id}/events/stream")]
    [InlineData("/{id}/artifacts/spec")]
    public async Task A_viewer_reads_every_run_query_and_a_caller_without_a_key_gets_401(string suffix)
    {
        var run = RunQueriesFixture.NewRun("Completed", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await fixture.SaveAsync(run, s_completedLog);
        var path = "/api/runs" + suffix.Replace("{id}", run.CorrelationId.ToString(), StringComparison.Ordinal);

        using var allowed = await Viewer.GetAsync(path);
        using var anonymous = await fixture.Mesh.GatewayClient(null).GetAsync(path);

        allowed.StatusCode.ShouldBe(HttpStatusCode.OK, await allowed.Content.ReadAsStringAsync());
        await anonymous.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    /// <summary>A completed run's log: its terminal event at seq 6, then <c>report.ready</c> (read with <c>/events</c>).</summary>
    private static readonly string[] s_completedLog =
    [
        RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.PhaseDispatched, RunEventTypes.PhaseSucceeded,
        RunEventTypes.PhaseSucceeded, RunEventTypes.RunCompleted, RunEventTypes.ReportReady,
    ];

    private async Task<List<Guid>> ListAsync(string query)
    {
        var page = await Viewer.GetFromJsonAsync<JsonElement>($"/api/runs?{query}");
        return page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("runId").GetGuid()).ToList();
    }

    private static int Failures(ServiceProcess service) =>
        service.LogTail(int.MaxValue).Split('\n').Count(line => line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal));

    private static List<long> Seqs(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("seq").GetInt64()).ToList();

    private async Task<HttpResponseMessage> OpenStreamAsync(Guid runId, long? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/events/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using (request)
        {
            var response = await Viewer.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                response.Headers.GetValues("X-Accel-Buffering").Single().ShouldBe("no");
            }

            return response;
        }
    }

    private static async Task<List<ServerSentEvent>> ReadToEndAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new ServerSentEventReader(body);
        using var timeout = new CancellationTokenSource(s_streamTimeout);
        var events = new List<ServerSentEvent>();
        while (await reader.ReadAsync(timeout.Token) is { } next)
        {
            events.Add(next);
        }

        return events;
    }
}
