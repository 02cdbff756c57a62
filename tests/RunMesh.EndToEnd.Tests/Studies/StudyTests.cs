using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;
using Parquet;
using RabbitMQ.Client;
using RunMesh.EndToEnd.Tests.Runs;

namespace RunMesh.EndToEnd.Tests.Studies;

/// <summary>
/// Studies on a mesh of services as processes (docs/studies.md): a grid run under its parallelism with per-condition
/// statistics and results in three formats, dry runs and every validation problem, failFast then a resume, the budget,
/// a cancel, a study started over raw AMQP, and the planner killed mid-study.
/// </summary>
public sealed class StudyTests(StudiesFixture fixture) : IClassFixture<StudiesFixture>
{
    private MeshHarness Mesh => fixture.Mesh;

    private static string Unique() => Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task A_grid_runs_every_condition_and_replicate_under_its_parallelism_with_statistics_and_results_that_match_the_runs()
    {
        var batch = Unique();
        var definition = $$"""
            name: grid-{{Unique()}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "dark mode {{Unique()}}" }
            factors:
              inputs.tone: [formal, casual, dry]
              model.temperature: [0, 0.7]
            replicates: 3
            seed: 7
            parallelism: 2
            labels: { team: research, batch: "{{batch}}" }
            """;

        var studyId = await fixture.StartAsync(definition);
        var study = await fixture.WaitForStateAsync(studyId, "completed", seconds: 180);

        study["plannedRuns"]!.GetValue<int>().ShouldBe(18);
        study["counts"]!["completed"]!.GetValue<int>().ShouldBe(18);
        var runs = await fixture.RunsOfAsync(studyId);
        runs.Count.ShouldBe(18);
        runs.ShouldAllBe(r => r["state"]!.GetValue<string>() == "completed" && r["labels"]!["team"]!.GetValue<string>() == "research");
        RunTimelines.MostAtOnce(runs).ShouldBeLessThanOrEqualTo(2, "parallelism: 2");

        var conditions = study["conditions"]!.AsArray().Select(c => c!.AsObject()).ToList();
        conditions.Count.ShouldBe(6);
        foreach (var condition in conditions)
        {
            var conditionId = condition["conditionId"]!.GetValue<string>();
            var own = runs.Where(r => r["labels"]!["conditionId"]!.GetValue<string>() == conditionId).ToList();
            own.Select(r => r["labels"]!["replicate"]!.GetValue<string>()).Order().ShouldBe(["1", "2", "3"]);
            var durations = own.Select(r => (long)(r["endedAt"]!.GetValue<DateTimeOffset>() - r["startedAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds)
                .Order().ToList();
            condition["durationMs"]!["p50"]!.GetValue<long>().ShouldBe(NearestRank(durations, 50));
            condition["durationMs"]!["p95"]!.GetValue<long>().ShouldBe(NearestRank(durations, 95));
            condition["counts"]!["completed"]!.GetValue<int>().ShouldBe(3);
        }

        var ndjson = (await ResultsAsync(studyId, "application/x-ndjson")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        ndjson.Select(r => r["runId"]!.GetValue<string>()).Order().ShouldBe(runs.Select(r => r["runId"]!.GetValue<string>()).Order());
        ndjson.ShouldAllBe(r => r["state"]!.GetValue<string>() == "completed" && r["inputs.tone"] != null);

        await using (var csv = CsvReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(await ResultsAsync(studyId, "text/csv"))),
            CsvReaderOptions.Default with { Separator = ',' }))
        {
            await csv.ReadHeaderAsync();
            var csvRunIds = new List<string>();
            while (await csv.ReadAsync())
            {
                csvRunIds.Add(csv.GetString("runId"));
            }

            csvRunIds.Order().ShouldBe(ndjson.Select(r => r["runId"]!.GetValue<string>()).Order());
        }

        using var viewer = Mesh.GatewayClient("viewer");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/studies/{studyId}/runs");
        request.Headers.Accept.ParseAdd("application/vnd.apache.parquet");
        using var parquetResponse = await viewer.SendAsync(request);
        parquetResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        await using var parquet = new MemoryStream(await parquetResponse.Content.ReadAsByteArrayAsync());
        await using var reader = await ParquetReader.CreateAsync(parquet);
        var rows = 0L;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            rows += group.RowCount;
        }

        rows.ShouldBe(18);

        (await ListedAsync($"label=batch:{batch}")).ShouldBe([studyId.ToString()]);
        (await ListedAsync($"label=batch:{batch}&label=team:research&state=completed")).ShouldBe([studyId.ToString()]);
        (await ListedAsync($"label=batch:{batch}&label=team:other")).ShouldBeEmpty();
    }

    private async Task<List<string>> ListedAsync(string query)
    {
        using var viewer = Mesh.GatewayClient("viewer");
        using var response = await viewer.GetAsync($"/api/studies?{query}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return [.. JsonNode.Parse(body)!["items"]!.AsArray().Select(i => i!["studyId"]!.GetValue<string>())];
    }

    [Fact]
    public async Task The_same_definition_with_its_keys_reordered_is_the_same_study_and_a_dry_run_starts_nothing()
    {
        var topic = Unique();
        var first = $$"""
            name: same-{{topic}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "{{topic}}" }
            factors: { inputs.tone: [formal, casual] }
            replicates: 2
            """;
        var reordered = $$"""{"replicates": 2, "factors": {"inputs.tone": ["formal", "casual"]}, "inputs": {"topic": "{{topic}}"}, "template": "{{StudiesFixture.Echo}}", "name": "same-{{topic}}"}""";

        var (dryStatus, plan) = await fixture.SubmitAsync(first, dryRun: true);
        dryStatus.ShouldBe(HttpStatusCode.OK, plan.ToJsonString());
        plan["plannedRuns"]!.GetValue<int>().ShouldBe(4);
        plan["errors"]!.AsArray().ShouldBeEmpty();
        using (var missing = await Mesh.GatewayClient("viewer").GetAsync($"/api/studies/{plan["studyId"]}"))
        {
            missing.StatusCode.ShouldBe(HttpStatusCode.NotFound, "a dry run starts nothing");
        }

        var studyId = await fixture.StartAsync(first);
        studyId.ToString().ShouldBe(plan["studyId"]!.GetValue<string>());
        using var again = await Mesh.GatewayClient("submitter").PostAsync("/api/studies", new StringContent(reordered, Encoding.UTF8, "application/json"));
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonNode.Parse(await again.Content.ReadAsStringAsync())!["studyId"]!.GetValue<string>().ShouldBe(studyId.ToString());
        await fixture.WaitForStateAsync(studyId, "completed");
        (await fixture.RunsOfAsync(studyId)).Count.ShouldBe(4);
    }

    [Fact]
    public async Task A_definition_with_problems_is_refused_with_every_one_listed()
    {
        var (status, problem) = await fixture.SubmitAsync($$"""
            name: bad-{{Unique()}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "x" }
            factors:
              inputs.tone: [formal]
              options.force: [true]
              model.temperature: []
            """);
        status.ShouldBe(HttpStatusCode.BadRequest, problem.ToJsonString());
        problem["code"]!.GetValue<string>().ShouldBe("invalid_study");
        var errors = problem["errors"]!.ToJsonString();
        errors.ShouldContain("options.force");
        errors.ShouldContain("model.temperature");

        var (gridStatus, grid) = await fixture.SubmitAsync($$"""
            name: grid-{{Unique()}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "x" }
            factors: { inputs.tone: [formal, loud], model.temperature: [0, 0.7] }
            maxRuns: 1
            """);
        gridStatus.ShouldBe(HttpStatusCode.BadRequest, grid.ToJsonString());
        var gridErrors = grid["errors"]!.ToJsonString();
        gridErrors.ShouldContain("maxRuns");
        gridErrors.ShouldContain("conditions[", Case.Sensitive, "the condition whose inputs fail the template's schema is named");

        var (excludeStatus, exclude) = await fixture.SubmitAsync($$"""
            name: exclude-{{Unique()}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "x" }
            factors: { inputs.tone: [formal, casual] }
            exclude:
              - { inputs.mood: happy }
            """);
        excludeStatus.ShouldBe(HttpStatusCode.BadRequest, exclude.ToJsonString());
        exclude["errors"]!.ToJsonString().ShouldContain("inputs.mood");

        var (unknownStatus, unknown) = await fixture.SubmitAsync($"name: nowhere-{Unique()}\ntemplate: study-nowhere@1\n");
        unknownStatus.ShouldBe(HttpStatusCode.BadRequest);
        unknown["errors"]!.ToJsonString().ShouldContain("study-nowhere@1");
    }

    [Fact]
    public async Task Fail_fast_ends_the_study_failed_and_a_resubmission_resumes_it_without_running_completed_runs_again()
    {
        var suffix = Unique();
        string[] titles = [$"a-{suffix}", $"b-{suffix}", $"c-{suffix}", $"d-{suffix}"];
        fixture.Webhook.FailOnce[titles[1]] = true;
        var definition = $$"""
            name: failfast-{{suffix}}
            template: {{StudiesFixture.Hook}}
            factors: { inputs.title: [{{string.Join(", ", titles)}}] }
            parallelism: 1
            failFast: true
            """;

        var studyId = await fixture.StartAsync(definition);
        var failed = await fixture.WaitForStateAsync(studyId, "failed");
        failed["counts"]!["completed"]!.GetValue<int>().ShouldBe(1);
        failed["counts"]!["failed"]!.GetValue<int>().ShouldBe(1);
        failed["counts"]!["pending"]!.GetValue<int>().ShouldBe(2);

        var (status, resumed) = await fixture.SubmitAsync(definition);
        status.ShouldBe(HttpStatusCode.OK, resumed.ToJsonString());
        resumed["studyId"]!.GetValue<string>().ShouldBe(studyId.ToString());
        var completed = await fixture.WaitForStateAsync(studyId, "completed");

        completed["counts"]!["completed"]!.GetValue<int>().ShouldBe(4);
        completed["generation"]!.GetValue<int>().ShouldBe(2);
        titles.Select(fixture.Webhook.CallsFor).ShouldBe([1, 2, 1, 1], "the completed run was not executed again");
    }

    [Fact]
    public async Task The_budget_stops_new_runs_and_ends_the_study_budget_exhausted()
    {
        var definition = $$"""
            name: budget-{{Unique()}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "budget {{Unique()}}" }
            factors: { inputs.tone: [formal, casual, dry] }
            replicates: 3
            parallelism: 1
            budget: { maxTokens: 40 }
            """;

        var studyId = await fixture.StartAsync(definition);
        var study = await fixture.WaitForStateAsync(studyId, "budget_exhausted");

        var counts = study["counts"]!;
        counts["pending"]!.GetValue<int>().ShouldBeGreaterThan(0, "runs were left unstarted");
        var tokens = study["usage"]!["inputTokens"]!.GetValue<long>() + study["usage"]!["outputTokens"]!.GetValue<long>();
        var perRun = tokens / Math.Max(1, counts["completed"]!.GetValue<int>());
        tokens.ShouldBeLessThanOrEqualTo(40 + perRun, "spent at most the budget plus the run in flight");
        (await fixture.RunsOfAsync(studyId)).Count.ShouldBe(counts["completed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Cancelling_a_study_cancels_its_running_runs_and_starts_no_more()
    {
        var definition = $$"""
            name: cancel-{{Unique()}}
            template: {{StudiesFixture.Slow}}
            inputs: { topic: "slow {{Unique()}}" }
            factors: { inputs.n: [1, 2, 3, 4, 5] }
            parallelism: 2
            """;
        var studyId = await fixture.StartAsync(definition);
        await Eventually.UntilAsync(async () => (await fixture.RunsOfAsync(studyId)).Count(r => r["state"]!.GetValue<string>() == "running") == 2,
            TimeSpan.FromSeconds(60), "two runs running", () => Mesh.LogTails(20));

        using var cancel = await Mesh.GatewayClient("submitter").PostAsync($"/api/studies/{studyId}/cancel", null);
        cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var study = await fixture.WaitForStateAsync(studyId, "cancelled");
        study["counts"]!["cancelled"]!.GetValue<int>().ShouldBe(2);
        study["counts"]!["pending"]!.GetValue<int>().ShouldBe(3);
        (await fixture.RunsOfAsync(studyId)).ShouldAllBe(r => r["state"]!.GetValue<string>() == "cancelled");
        using var again = await Mesh.GatewayClient("submitter").PostAsync($"/api/studies/{studyId}/cancel", null);
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_study_started_by_a_raw_amqp_client_runs_and_its_study_finished_reaches_that_clients_queue()
    {
        var definition = new JsonObject
        {
            ["name"] = $"bus-{Unique()}",
            ["template"] = StudiesFixture.Echo,
            ["inputs"] = new JsonObject { ["topic"] = $"bus {Unique()}" },
            ["factors"] = new JsonObject { ["inputs.tone"] = new JsonArray("formal", "dry") },
        };
        var envelope = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray("urn:message:RunMesh.Contracts:StartStudy"),
            ["message"] = new JsonObject { ["studyDefinition"] = definition, ["requestedBy"] = "lab-system" },
        };
        var factory = new ConnectionFactory { Uri = Mesh.OutsideSystemAmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var finishedQueue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(finishedQueue, "RunMesh.Contracts:StudyFinished", "");

        await channel.BasicPublishAsync("RunMesh.Contracts:StartStudy", "", mandatory: false,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true }, Encoding.UTF8.GetBytes(envelope.ToJsonString()));

        var finished = await Eventually.UntilAsync(
            async () => await channel.BasicGetAsync(finishedQueue, autoAck: true) is { } delivery
                ? JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))!.AsObject()
                : null,
            e => e is not null, TimeSpan.FromSeconds(90), "StudyFinished in the raw subscriber's queue", () => Mesh.LogTails(20));
        finished!["message"]!["state"]!.GetValue<string>().ShouldBe("completed");
        finished["message"]!["counts"]!["completed"]!.GetValue<int>().ShouldBe(2);
        var studyId = Guid.Parse(finished["message"]!["studyId"]!.GetValue<string>());
        (await fixture.GetAsync(studyId))["name"]!.GetValue<string>().ShouldBe(definition["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_planner_killed_mid_study_starts_no_run_twice_and_the_study_completes_after_restart()
    {
        var definition = $$"""
            name: kill-{{Unique()}}
            template: {{StudiesFixture.Echo}}
            inputs: { topic: "kill {{Unique()}}" }
            factors: { inputs.tone: [formal, casual, dry] }
            replicates: 4
            parallelism: 3
            """;
        var studyId = await fixture.StartAsync(definition);
        await Eventually.UntilAsync(async () => (await fixture.RunsOfAsync(studyId)).Count >= 3, TimeSpan.FromSeconds(60), "runs in flight",
            () => Mesh.LogTails(20));

        var planner = Mesh.Service("planner");
        await planner.KillAsync();
        await planner.RestartAsync(TimeSpan.FromSeconds(90));
        await Mesh.WaitUntilGatewayRoutesAsync(TimeSpan.FromSeconds(60));

        var study = await fixture.WaitForStateAsync(studyId, "completed", seconds: 180);
        study["counts"]!["completed"]!.GetValue<int>().ShouldBe(12);
        var runs = await fixture.RunsOfAsync(studyId);
        runs.Count.ShouldBe(12);
        runs.Select(r => r["labels"]!["conditionId"]!.GetValue<string>() + "/" + r["labels"]!["replicate"]!.GetValue<string>()).Distinct().Count()
            .ShouldBe(12, "each planned run started once");
    }

    private async Task<string> ResultsAsync(Guid studyId, string accept)
    {
        using var viewer = Mesh.GatewayClient("viewer");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/studies/{studyId}/runs");
        request.Headers.Accept.ParseAdd(accept);
        using var response = await viewer.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static long NearestRank(List<long> sorted, int percentile) =>
        sorted[Math.Max(0, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}
