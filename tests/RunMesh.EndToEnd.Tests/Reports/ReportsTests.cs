using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RabbitMQ.Client;
using RunMesh.Contracts;
using RunMesh.EndToEnd.Tests.Gateway;
using RunMesh.Hashing;

namespace RunMesh.EndToEnd.Tests.Reports;

/// <summary>
/// The report service through the whole mesh: every finished run gets a report and a manifest, announced with
/// <c>ReportReady</c> so that <c>GET /api/runs/{runId}</c> shows <c>reportUrl</c>; written once per (run, generation).
/// </summary>
[Collection(ReportsMesh.Name)]
public sealed class ReportsTests(ReportsFixture fixture)
{
    private HttpClient Viewer => fixture.Viewer;

    [Fact]
    public async Task Completed_failed_and_cancelled_runs_each_get_a_report_and_a_manifest_with_a_stable_digest()
    {
        var completed = await fixture.StartAsync(ReportsFixture.Quick);
        var failed = await fixture.StartAsync(ReportsFixture.Flaky);
        var cancelled = await fixture.StartAsync(ReportsFixture.Slow);
        await fixture.WaitForStateAsync(cancelled, "running");
        using (var submitter = fixture.Mesh.GatewayClient("submitter"))
        {
            using var cancel = await submitter.PostAsync($"/api/runs/{cancelled}/cancel", JsonContent.Create(new { reason = "not needed" }));
            cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted, await cancel.Content.ReadAsStringAsync());
        }

        foreach (var (runId, state) in new[] { (completed, "completed"), (failed, "failed"), (cancelled, "cancelled") })
        {
            var run = await fixture.WaitForReportUrlAsync(runId);
            run["state"]!.GetValue<string>().ShouldBe(state);
            run["reportUrl"]!.GetValue<string>().ShouldBe($"/api/runs/{runId}/report");
            await ShouldServeReportAsync(runId, state, generation: 1);
        }
    }

    [Fact]
    public async Task An_aborted_run_gets_a_report_and_a_manifest_that_say_who_aborted_it_when_and_why()
    {
        // A real abort: the run stops at its gate and an approver aborts it through the approval service.
        var runId = await fixture.StartAsync(ReportsFixture.Gated);
        var requestId = await fixture.WaitForPendingApprovalAsync(runId);
        using (var approver = fixture.Mesh.GatewayClient("approver"))
        {
            using var abort = await approver.PostAsJsonAsync($"/api/approvals/{requestId}/decision", new { action = "abort", comment = "not needed" });
            abort.StatusCode.ShouldBe(HttpStatusCode.OK, await abort.Content.ReadAsStringAsync());
        }

        var run = await fixture.WaitForReportUrlAsync(runId);

        run["state"]!.GetValue<string>().ShouldBe("aborted");
        run["error"]!["code"]!.GetValue<string>().ShouldBe("approval_aborted");
        run["reportUrl"]!.GetValue<string>().ShouldBe($"/api/runs/{runId}/report");
        (await fixture.ReportRowsAsync(runId)).ShouldHaveSingleItem().State.ShouldBe("aborted");
        var report = await ShouldServeReportAsync(runId, "aborted", generation: 1);
        report["error"]!["code"]!.GetValue<string>().ShouldBe("approval_aborted");
        report["error"]!["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        var manifest = (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/manifest"))!;
        var spec = manifest["manifest"]!["phases"]![0]!;
        spec["artifactDigest"]!.GetValue<string>().ShouldStartWith("sha256:");

        // Provenance of the decision: in the manifest (inside its digest) and in the report, not only in the event log.
        var decision = spec["approvals"]!.AsArray().ShouldHaveSingleItem()!;
        decision["requestId"]!.GetValue<string>().ShouldBe(requestId.ToString());
        decision["action"]!.GetValue<string>().ShouldBe("abort");
        decision["decidedBy"]!.GetValue<string>().ShouldBe("test-approver");
        decision["comment"]!.GetValue<string>().ShouldBe("not needed");
        decision["artifactDigest"]!.GetValue<string>().ShouldBe(spec["artifactDigest"]!.GetValue<string>());
        var decidedAt = DateTimeOffset.Parse(decision["decidedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        decidedAt.ShouldBeLessThanOrEqualTo(DateTimeOffset.Parse(manifest["manifest"]!["endedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        var reported = report["summary"]!["approvals"]!.AsArray().ShouldHaveSingleItem()!;
        reported["phaseKey"]!.GetValue<string>().ShouldBe("spec");
        reported["decidedBy"]!.GetValue<string>().ShouldBe("test-approver");
        var markdown = await Viewer.GetStringAsync($"/api/runs/{runId}/report.md");
        markdown.ShouldContain("| abort | test-approver |");

        // The report's last events keep their payloads: the decision event says who decided.
        var lastEvents = report["lastEvents"]!.AsArray();
        lastEvents.ShouldAllBe(e => e!["payload"] is JsonObject);
        lastEvents.Single(e => e!["type"]!.GetValue<string>() == "approval.decided")!["payload"]!["decidedBy"]!.GetValue<string>().ShouldBe("test-approver");
    }

    [Fact]
    public async Task Report_url_appears_for_the_first_second_and_third_run_of_a_template_on_a_populated_database()
    {
        for (var i = 1; i <= 3; i++)
        {
            var runId = await fixture.StartAsync(ReportsFixture.Quick);

            var run = await fixture.WaitForReportUrlAsync(runId);

            run["reportUrl"]!.GetValue<string>().ShouldBe($"/api/runs/{runId}/report", $"run {i}");
            using var report = await Viewer.GetAsync(run["reportUrl"]!.GetValue<string>());
            report.StatusCode.ShouldBe(HttpStatusCode.OK, $"run {i}: {await report.Content.ReadAsStringAsync()}");
        }

        (await fixture.CountInReportDatabaseAsync("SELECT count(*) FROM reports")).ShouldBeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public async Task Copies_of_run_finished_write_one_report_and_each_announces_the_stored_one()
    {
        var runId = Guid.NewGuid();
        var finished = ReportsFixture.Finished(runId, RunState.Completed);
        var factory = new ConnectionFactory { Uri = fixture.Mesh.Broker.AmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclarePassiveAsync("RunMesh.Contracts:ReportReady");
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, "RunMesh.Contracts:ReportReady", "");

        // Two copies under different message ids, and the copy the orchestrator publishes under an alias.
        var alias = finished with { RunId = Guid.NewGuid(), AliasOf = runId };
        await Task.WhenAll(
            fixture.PublishAsync(finished, Guid.NewGuid()),
            fixture.PublishAsync(finished, Guid.NewGuid()),
            fixture.PublishAsync(alias, Guid.NewGuid()));

        // No inbox drops a copy: each one announces the report (the orchestrator records it once per generation).
        await Eventually.UntilAsync(
            async () => await channel.MessageCountAsync(queue) == 3,
            TimeSpan.FromSeconds(30), "every copy of RunFinished to announce the report", () => fixture.Mesh.Service("report").LogTail(30));
        var row = (await fixture.ReportRowsAsync(runId)).ShouldHaveSingleItem();
        for (var i = 0; i < 3; i++)
        {
            var ready = await channel.BasicGetAsync(queue, autoAck: true);
            var message = JsonNode.Parse(ready!.Body.Span)!["message"]!;
            message["runId"]!.GetValue<Guid>().ShouldBe(runId);
            message["generation"]!.GetValue<int>().ShouldBe(1);
            message["reportUrl"]!.GetValue<string>().ShouldBe($"/api/runs/{runId}/report");
            message["manifestDigest"]!.GetValue<string>().ShouldBe(row.ManifestDigest, "every copy announces the row that is stored");
        }
    }

    [Fact]
    public async Task A_failed_run_retried_to_completion_serves_generation_2_and_keeps_generation_1()
    {
        var runId = await fixture.StartAsync(ReportsFixture.Flaky);
        await fixture.WaitForReportUrlAsync(runId, generation: 1);
        var firstDigest = (await fixture.ReportRowsAsync(runId)).ShouldHaveSingleItem().ManifestDigest;
        using var submitter = fixture.Mesh.GatewayClient("submitter");

        using var retry = await submitter.PostAsync($"/api/runs/{runId}/retry", null);
        retry.StatusCode.ShouldBe(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync());
        await fixture.WaitForReportUrlAsync(runId, generation: 2);

        var rows = await fixture.ReportRowsAsync(runId);
        rows.Select(r => (r.Generation, r.State)).ShouldBe([(1, "failed"), (2, "completed")]);
        rows[0].ManifestDigest.ShouldBe(firstDigest);
        var latest = await ShouldServeReportAsync(runId, "completed", generation: 2);
        latest["manifest"]!["phases"]![1]!["attempts"]!.AsArray().Count.ShouldBe(2);
        var kept = (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/report?generation=1"))!;
        kept["generation"]!.GetValue<int>().ShouldBe(1);
        kept["state"]!.GetValue<string>().ShouldBe("failed");
        var keptManifest = (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/manifest?generation=1"))!;
        keptManifest["manifestDigest"]!.GetValue<string>().ShouldBe(firstDigest);
        (await Viewer.GetStringAsync($"/api/runs/{runId}/report.md?generation=1")).ShouldStartWith($"# Run {runId}: failed\n");
    }

    [Fact]
    public async Task A_child_run_appears_beside_its_parents_manifest_whichever_finished_first()
    {
        var parentFirst = (Parent: Guid.NewGuid(), Child: Guid.NewGuid());
        var childFirst = (Parent: Guid.NewGuid(), Child: Guid.NewGuid());

        await fixture.PublishAsync(ReportsFixture.Finished(parentFirst.Parent, RunState.Completed), Guid.NewGuid());
        var parentDigest = (await fixture.WaitForRowsAsync(parentFirst.Parent))[0].ManifestDigest;
        await fixture.PublishAsync(ReportsFixture.Finished(parentFirst.Child, RunState.Completed, parentFirst.Parent), Guid.NewGuid());
        await fixture.WaitForRowsAsync(parentFirst.Child);
        await fixture.PublishAsync(ReportsFixture.Finished(childFirst.Child, RunState.Failed, childFirst.Parent), Guid.NewGuid());
        await fixture.WaitForRowsAsync(childFirst.Child);
        await fixture.PublishAsync(ReportsFixture.Finished(childFirst.Parent, RunState.Completed), Guid.NewGuid());
        await fixture.WaitForRowsAsync(childFirst.Parent);

        foreach (var (parent, child, state) in new[] { (parentFirst.Parent, parentFirst.Child, "completed"), (childFirst.Parent, childFirst.Child, "failed") })
        {
            var body = (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{parent}/manifest"))!;
            var edge = body["children"]!.AsArray().ShouldHaveSingleItem()!;
            edge["runId"]!.GetValue<Guid>().ShouldBe(child);
            edge["state"]!.GetValue<string>().ShouldBe(state);
            edge["reportUrl"]!.GetValue<string>().ShouldBe($"/api/runs/{child}/report");
            edge["manifestDigest"]!.GetValue<string>().ShouldBe((await fixture.ReportRowsAsync(child))[0].ManifestDigest);
            Digest.Of(body["manifest"]).ShouldBe(body["manifestDigest"]!.GetValue<string>());
            (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{parent}/report"))!["children"]!.AsArray().Count.ShouldBe(1);
            var childBody = (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{child}/manifest"))!;
            childBody["manifest"]!["parentRunId"]!.GetValue<Guid>().ShouldBe(parent);
            childBody["children"]!.AsArray().ShouldBeEmpty();
        }

        // The child arrived after the parent's ReportReady: the parent's manifest and digest did not change.
        (await fixture.ReportRowsAsync(parentFirst.Parent)).ShouldHaveSingleItem().ManifestDigest.ShouldBe(parentDigest);
    }

    [Fact]
    public async Task Until_a_run_has_finished_its_report_markdown_and_manifest_are_404_problems()
    {
        var runId = await fixture.StartAsync(ReportsFixture.Slow);
        await fixture.WaitForStateAsync(runId, "running");

        foreach (var endpoint in new[] { "report", "report.md", "manifest" })
        {
            using var running = await Viewer.GetAsync($"/api/runs/{runId}/{endpoint}");
            await running.ShouldBeProblemAsync(HttpStatusCode.NotFound, "report_not_found");
            using var unknown = await Viewer.GetAsync($"/api/runs/{Guid.NewGuid()}/{endpoint}");
            await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound, "report_not_found");
        }

        // Frees the phase worker's slot; the cancelled run then gets its report like any other.
        using var submitter = fixture.Mesh.GatewayClient("submitter");
        using var cancel = await submitter.PostAsync($"/api/runs/{runId}/cancel", null);
        cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await fixture.WaitForReportUrlAsync(runId);
    }

    [Theory]
    [InlineData("/api/runs/not-a-uuid/report", "run id")]
    [InlineData("/api/runs/not-a-uuid/report.md", "run id")]
    [InlineData("/api/runs/not-a-uuid/manifest", "run id")]
    [InlineData("/api/runs/{id}/report?generation=0", "'generation'")]
    [InlineData("/api/runs/{id}/manifest?generation=two", "'generation'")]
    [InlineData("/api/runs/{id}/report.md?generation=-1", "'generation'")]
    public async Task A_malformed_run_id_or_generation_is_a_400_naming_it(string path, string named)
    {
        using var response = await Viewer.GetAsync(path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>().ShouldContain(named);
    }

    [Fact]
    public async Task A_generation_that_has_not_finished_is_a_404_problem()
    {
        var runId = await fixture.StartAsync(ReportsFixture.Quick);
        await fixture.WaitForReportUrlAsync(runId);

        using var response = await Viewer.GetAsync($"/api/runs/{runId}/report?generation=2");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "report_not_found");
    }

    /// <summary>
    /// Reads the report, the Markdown and the manifest through the gateway and checks they agree with each other, with
    /// the stored row and with the digest the orchestrator received in ReportReady. Answers the JSON report.
    /// </summary>
    private async Task<JsonObject> ShouldServeReportAsync(Guid runId, string state, int generation)
    {
        var rows = await fixture.ReportRowsAsync(runId);
        var row = rows.Single(r => r.Generation == generation);
        rows.Max(r => r.Generation).ShouldBe(generation, "the latest generation is served");

        using var reportResponse = await Viewer.GetAsync($"/api/runs/{runId}/report");
        reportResponse.StatusCode.ShouldBe(HttpStatusCode.OK, await reportResponse.Content.ReadAsStringAsync());
        reportResponse.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var report = (await reportResponse.Content.ReadFromJsonAsync<JsonObject>())!;
        report["runId"]!.GetValue<Guid>().ShouldBe(runId);
        report["generation"]!.GetValue<int>().ShouldBe(generation);
        report["state"]!.GetValue<string>().ShouldBe(state);
        report["summary"]!["phases"]!.AsArray().ShouldNotBeEmpty();
        report["lastEvents"]!.AsArray().ShouldNotBeEmpty();
        report["manifestDigest"]!.GetValue<string>().ShouldBe(row.ManifestDigest);

        using var markdown = await Viewer.GetAsync($"/api/runs/{runId}/report.md");
        markdown.StatusCode.ShouldBe(HttpStatusCode.OK);
        markdown.Content.Headers.ContentType!.MediaType.ShouldBe("text/markdown");
        (await markdown.Content.ReadAsStringAsync()).ShouldStartWith($"# Run {runId}: {state}\n");

        var manifest = (await Viewer.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/manifest"))!;
        var digest = manifest["manifestDigest"]!.GetValue<string>();
        manifest["manifest"]!["runId"]!.GetValue<Guid>().ShouldBe(runId);
        manifest["manifest"]!["state"]!.GetValue<string>().ShouldBe(state);
        manifest["children"]!.AsArray().ShouldBeEmpty();

        // One digest everywhere: recomputed from the served manifest, from the stored JSON (byte for byte), the
        // stored column, and what the orchestrator received in ReportReady.
        Digest.Of(manifest["manifest"]).ShouldBe(digest);
        ("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(row.Manifest)))).ShouldBe(digest);
        Digest.OfJson(row.Manifest).ShouldBe(digest);
        row.ManifestDigest.ShouldBe(digest);
        (await fixture.ReportReadyDigestAsync(runId, generation)).ShouldBe(digest);
        return report;
    }
}
