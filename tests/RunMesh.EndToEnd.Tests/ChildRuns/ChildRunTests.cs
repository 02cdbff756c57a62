using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.EndToEnd.Tests.Runs;

namespace RunMesh.EndToEnd.Tests.ChildRuns;

/// <summary>
/// Runs that run other runs (docs/run-lifecycle.md, "Child runs"), on a mesh of services as processes: a <c>run</c>
/// phase, <c>forEach</c> fan-out under <c>maxParallel</c>, a failed child retried alone, cancellation and budgets across
/// the tree, the depth limit, bad input, and the orchestrator killed while children are in flight.
/// </summary>
public sealed class ChildRunTests(ChildRunsFixture fixture) : IClassFixture<ChildRunsFixture>
{
    private MeshHarness Mesh => fixture.Mesh;

    [Fact]
    public async Task A_run_phase_completes_with_its_childs_last_artifact_and_the_child_knows_its_parent()
    {
        var parentId = await fixture.StartAsync(ChildRunsFixture.OneChild, ChildRunsFixture.Feature());

        var parent = await Mesh.WaitForRunStateAsync(parentId, "completed");

        var child = parent["children"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        child["phaseKey"]!.GetValue<string>().ShouldBe("draft");
        child["index"]!.GetValue<int>().ShouldBe(0);
        child["state"]!.GetValue<string>().ShouldBe("completed");
        var childId = Guid.Parse(child["runId"]!.GetValue<string>());
        var childRun = await Mesh.GetRunAsync(childId);
        childRun["parentRunId"]!.GetValue<string>().ShouldBe(parentId.ToString());
        childRun["depth"]!.GetValue<int>().ShouldBe(1);
        childRun["labels"]!["parentPhase"]!.GetValue<string>().ShouldBe("draft");
        (await ArtifactAsync(parentId, "draft")).ToJsonString().ShouldBe((await ArtifactAsync(childId, "write")).ToJsonString());
        (await fixture.ChildrenOfAsync(parentId)).Select(r => r["runId"]!.GetValue<string>()).ShouldBe([childId.ToString()]);

        var types = (await Mesh.RunEventsAsync(parentId)).Select(e => e["type"]!.GetValue<string>()).ToList();
        types.ShouldContain("child.started");
        types.ShouldContain("child.finished");
    }

    [Fact]
    public async Task A_for_each_phase_runs_one_child_per_item_never_more_than_max_parallel_at_once_and_keeps_their_order()
    {
        var parentId = await fixture.StartAsync(ChildRunsFixture.Book, ChildRunsFixture.Feature());

        var parent = await Mesh.WaitForRunStateAsync(parentId, "completed", seconds: 120);

        var children = parent["children"]!.AsArray().Select(c => c!.AsObject()).ToList();
        children.Select(c => c["index"]!.GetValue<int>()).Order().ShouldBe([0, 1, 2, 3, 4, 5]);
        var runs = await fixture.ChildrenOfAsync(parentId);
        runs.Count.ShouldBe(6);
        runs.ShouldAllBe(r => r["state"]!.GetValue<string>() == "completed");
        RunTimelines.MostAtOnce(runs).ShouldBeLessThanOrEqualTo(2, "maxParallel: 2");

        var items = (await ArtifactAsync(parentId, "chapters"))["items"]!.AsArray();
        items.Count.ShouldBe(6);
        foreach (var child in children)
        {
            var childArtifact = await ArtifactAsync(Guid.Parse(child["runId"]!.GetValue<string>()), "write");
            items[child["index"]!.GetValue<int>()]!.ToJsonString().ShouldBe(childArtifact.ToJsonString());
        }
    }

    [Fact]
    public async Task A_child_that_fails_fails_the_attempt_with_child_failed_and_only_its_item_runs_again()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string[] titles = [$"one-{suffix}", $"two-{suffix}", $"three-{suffix}"];
        fixture.Webhook.FailOnce[titles[1]] = true;

        var parentId = await fixture.StartAsync(ChildRunsFixture.HookBook, ChildRunsFixture.Titles(titles));

        var parent = await Mesh.WaitForRunStateAsync(parentId, "completed", seconds: 120);
        fixture.Webhook.CallsFor(titles[0]).ShouldBe(1);
        fixture.Webhook.CallsFor(titles[1]).ShouldBe(2, "the failed item ran again on the next attempt");
        fixture.Webhook.CallsFor(titles[2]).ShouldBe(1);
        var failure = (await Mesh.RunEventsAsync(parentId)).Single(e => e["type"]!.GetValue<string>() == "phase.attempt_failed");
        failure["payload"]!["kind"]!.GetValue<string>().ShouldBe("child_failed");
        var failedChild = parent["children"]!.AsArray().Single(c => c!["state"]!.GetValue<string>() == "failed")!;
        failedChild["index"]!.GetValue<int>().ShouldBe(1);
        failure["payload"]!["errors"]!.AsArray().ShouldHaveSingleItem()!.GetValue<string>().ShouldContain(failedChild["runId"]!.GetValue<string>());
        parent["children"]!.AsArray().Count.ShouldBe(4, "three children on the first attempt, one on the second");
        (await ArtifactAsync(parentId, "chapters"))["items"]!.AsArray().Select(i => i!["text"]!.GetValue<string>())
            .ShouldBe(titles.Select(t => $"chapter {t}"));
    }

    [Fact]
    public async Task Cancelling_the_parent_cancels_its_running_children_and_starts_no_other()
    {
        var parentId = await fixture.StartAsync(ChildRunsFixture.SlowBook, ChildRunsFixture.Titles("a", "b", "c", "d"));
        await Eventually.UntilAsync(
            async () => (await fixture.ChildrenOfAsync(parentId)).Count(r => r["state"]!.GetValue<string>() == "running") == 2,
            TimeSpan.FromSeconds(60), "two children running", () => Mesh.LogTails(20));

        using var cancel = await Mesh.GatewayClient("submitter").PostAsync($"/api/runs/{parentId}/cancel", null);
        cancel.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        await Mesh.WaitForRunStateAsync(parentId, "cancelled");
        await Eventually.UntilAsync(
            async () => (await fixture.ChildrenOfAsync(parentId)).All(r => r["state"]!.GetValue<string>() == "cancelled"),
            TimeSpan.FromSeconds(60), "every child cancelled", () => Mesh.LogTails(20));
        (await fixture.ChildrenOfAsync(parentId)).Count.ShouldBe(2);
        (await Mesh.RunEventsAsync(parentId)).Count(e => e["type"]!.GetValue<string>() == "child.started").ShouldBe(2);
    }

    [Fact]
    public async Task A_template_that_runs_itself_stops_at_max_depth_with_max_depth_exceeded()
    {
        var rootId = await fixture.StartAsync(ChildRunsFixture.Recursive, ChildRunsFixture.Feature(), new JsonObject { ["maxDepth"] = 2 });

        var root = await Mesh.WaitForRunStateAsync(rootId, "failed", seconds: 120);

        root["error"]!["code"]!.GetValue<string>().ShouldBe("child_failed");
        var depthOne = Guid.Parse((await fixture.ChildrenOfAsync(rootId)).ShouldHaveSingleItem()["runId"]!.GetValue<string>());
        var depthTwo = Guid.Parse((await fixture.ChildrenOfAsync(depthOne)).ShouldHaveSingleItem()["runId"]!.GetValue<string>());
        (await Mesh.GetRunAsync(depthTwo))["depth"]!.GetValue<int>().ShouldBe(2);
        (await fixture.ChildrenOfAsync(depthTwo)).ShouldBeEmpty("a run at depth 3 is refused");
        var refused = (await Mesh.RunEventsAsync(depthTwo)).Single(e => e["type"]!.GetValue<string>() == "child.finished");
        refused["payload"]!["errorCode"]!.GetValue<string>().ShouldBe("max_depth_exceeded");
    }

    [Fact]
    public async Task Childrens_usage_over_the_parents_budget_fails_the_parent_and_cancels_its_running_children()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string[] titles = [$"fast-{suffix}", $"quick-{suffix}", $"hang-{suffix}"];
        fixture.Webhook.Hang[titles[2]] = true;

        // Each child's first phase uses about 1,000 tokens: one child fits the budget, two do not.
        var parentId = await fixture.StartAsync(ChildRunsFixture.HookBook, ChildRunsFixture.Titles(titles),
            new JsonObject { ["budget"] = new JsonObject { ["maxTokens"] = 1500 } });

        var parent = await Mesh.WaitForRunStateAsync(parentId, "failed", seconds: 120);
        parent["error"]!["code"]!.GetValue<string>().ShouldBe("budget_exceeded");
        var hanging = parent["children"]!.AsArray().Single(c => c!["index"]!.GetValue<int>() == 2)!;
        await Mesh.WaitForRunStateAsync(Guid.Parse(hanging["runId"]!.GetValue<string>()), "cancelled");
    }

    [Fact]
    public async Task An_unknown_child_template_or_a_for_each_that_is_no_array_fails_the_run_with_child_failed()
    {
        var missing = await fixture.StartAsync(ChildRunsFixture.MissingChild, ChildRunsFixture.Feature());
        var notAnArray = await fixture.StartAsync(ChildRunsFixture.NotAnArray, ChildRunsFixture.Feature());

        var missingRun = await Mesh.WaitForRunStateAsync(missing, "failed");
        missingRun["error"]!["code"]!.GetValue<string>().ShouldBe("child_failed");
        missingRun["error"]!["message"]!.GetValue<string>().ShouldContain("template_not_found");
        var notAnArrayRun = await Mesh.WaitForRunStateAsync(notAnArray, "failed");
        notAnArrayRun["error"]!["code"]!.GetValue<string>().ShouldBe("child_failed");
        notAnArrayRun["error"]!["message"]!.GetValue<string>().ShouldContain("not an array");
    }

    [Fact]
    public async Task A_run_phase_with_bad_settings_is_refused_at_registration_with_every_problem()
    {
        const string template = """
            name: child-bad
            version: 1
            phases:
              - key: first
                executor: mock
                instructions: "Outline"
                artifact: { schema: { type: object } }
              - key: each
                executor: run
                settings: { inputs: { title: "{{item}}" }, forEach: phases.later.output.list, maxParallel: 0 }
                artifact: { schema: { type: object } }
            """;

        using var response = await Mesh.GatewayClient("admin").PostAsync("/api/templates", new StringContent(template, Encoding.UTF8, "application/yaml"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.ToJsonString();
        errors.ShouldContain("settings.template");
        errors.ShouldContain("settings.forEach");
        errors.ShouldContain("settings.maxParallel");
    }

    [Fact]
    public async Task The_orchestrator_killed_while_children_run_starts_each_child_once_and_the_parent_completes()
    {
        var parentId = await fixture.StartAsync(ChildRunsFixture.Book, ChildRunsFixture.Feature());
        await Eventually.UntilAsync(async () => (await fixture.ChildrenOfAsync(parentId)).Count > 0,
            TimeSpan.FromSeconds(60), "the first child to start", () => Mesh.LogTails(20));

        var orchestrator = Mesh.Service("orchestrator");
        await orchestrator.KillAsync();
        await orchestrator.RestartAsync(TimeSpan.FromSeconds(90));
        await Mesh.WaitUntilGatewayRoutesAsync(TimeSpan.FromSeconds(60));

        await Mesh.WaitForRunStateAsync(parentId, "completed", seconds: 180);
        var runs = await fixture.ChildrenOfAsync(parentId);
        runs.Count.ShouldBe(6);
        foreach (var run in runs)
        {
            var childId = Guid.Parse(run["runId"]!.GetValue<string>());
            (await Mesh.RunEventsAsync(childId)).Count(e => e["type"]!.GetValue<string>() == "phase.dispatched").ShouldBe(1, $"child {childId} ran once");
        }

        var started = (await Mesh.RunEventsAsync(parentId)).Where(e => e["type"]!.GetValue<string>() == "child.started").ToList();
        started.Count.ShouldBe(6);
        started.Select(e => e["payload"]!["childRunId"]!.GetValue<string>()).Distinct().Count().ShouldBe(6);
    }

    private async Task<JsonNode> ArtifactAsync(Guid runId, string phaseKey)
    {
        using var response = await Mesh.GatewayClient("viewer").GetAsync($"/api/runs/{runId}/artifacts/{phaseKey}");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }
}
