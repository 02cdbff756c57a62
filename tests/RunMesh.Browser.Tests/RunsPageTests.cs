using System.Text.RegularExpressions;

namespace RunMesh.Browser.Tests;

/// <summary>The runs page lists what GET /api/runs answers: runs started through the API, filtered and paged by the API's cursor.</summary>
[Collection(ConsoleMesh.Name)]
public sealed partial class RunsPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_run_started_through_the_api_is_listed_with_its_template_state_and_labels()
    {
        var probe = Guid.NewGuid().ToString("N")[..12];
        var runId = await fixture.StartRunAsync(ConsoleFixture.QuickTemplate, ("probe", probe));
        await fixture.Mesh.WaitForRunStateAsync(runId, "completed");

        var page = await fixture.SignInAsync("viewer");

        var row = page.Locator($"tr[data-run-id='{runId}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(0)).ToHaveTextAsync(runId.ToString());
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync($"{ConsoleFixture.QuickTemplate}@1");
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("completed");
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(5)).ToHaveTextAsync($"probe: {probe}");
    }

    [Fact]
    public async Task The_filters_narrow_the_list_through_the_address()
    {
        var probe = Guid.NewGuid().ToString("N")[..12];
        var completed = await fixture.StartRunAsync(ConsoleFixture.QuickTemplate, ("filter", probe));
        var failed = await fixture.StartRunAsync(ConsoleFixture.FailingTemplate, ("filter", probe));
        await fixture.Mesh.WaitForRunStateAsync(completed, "completed");
        await fixture.Mesh.WaitForRunStateAsync(failed, "failed");
        var page = await fixture.SignInAsync("viewer");

        var filters = page.GetByRole(AriaRole.Search, new() { Name = "Filter runs" });
        await filters.GetByLabel("State").SelectOptionAsync("failed");
        await filters.GetByLabel("Label").FillAsync($"filter:{probe}");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(FailedFilterUrl());
        var rows = page.Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"tr[data-run-id='{failed}']")).ToBeVisibleAsync();

        await filters.GetByLabel("State").SelectOptionAsync("");
        await filters.GetByLabel("Template").FillAsync(ConsoleFixture.QuickTemplate);
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"tr[data-run-id='{completed}']")).ToBeVisibleAsync();

        await page.GoBackAsync();
        await Assertions.Expect(page.Locator($"tr[data-run-id='{failed}']")).ToBeVisibleAsync();
        await Assertions.Expect(filters.GetByLabel("State")).ToHaveValueAsync("failed");
    }

    [Fact]
    public async Task Pages_follow_the_api_cursor_forward_and_back()
    {
        var batch = Guid.NewGuid().ToString("N")[..12];
        var started = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            started.Add(await fixture.StartRunAsync(ConsoleFixture.QuickTemplate, ("batch", batch)));
        }

        var page = await fixture.SignInAsync("viewer", $"/runs?label=batch:{batch}&limit=2");
        var pager = page.GetByRole(AriaRole.Navigation, new() { Name = "Pages of runs" });
        var rows = page.Locator("tbody tr");
        var seen = new List<string>();
        for (var expected = 2; ; expected = Math.Min(2, 5 - seen.Count))
        {
            await Assertions.Expect(rows).ToHaveCountAsync(expected);
            var ids = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runId)");
            seen.AddRange(ids);
            if (seen.Count == 5)
            {
                break;
            }

            await pager.GetByRole(AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
            await Assertions.Expect(rows.First).Not.ToHaveAttributeAsync("data-run-id", ids[0]);
        }

        seen.ShouldBe(started.AsEnumerable().Reverse().Select(id => id.ToString()), "newest first, each run once");
        await Assertions.Expect(pager.GetByRole(AriaRole.Button, new() { Name = "Next page" })).ToBeDisabledAsync();

        await pager.GetByRole(AriaRole.Button, new() { Name = "Previous page" }).ClickAsync();
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-run-id", seen[2]);
        await pager.GetByRole(AriaRole.Button, new() { Name = "First page" }).ClickAsync();
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-run-id", seen[0]);
        await Assertions.Expect(pager.GetByRole(AriaRole.Button, new() { Name = "Previous page" })).ToBeDisabledAsync();
    }

    [GeneratedRegex("/runs\\?state=failed&label=filter%3A[0-9a-f]+$")]
    private static partial Regex FailedFilterUrl();
}
