namespace RunMesh.Browser.Tests;

/// <summary>
/// Every page of the console, reached through its navigation, with a screenshot of each (docs/console/ keeps a current
/// set): runs, approvals (with a pending request), studies and templates, as an admin sees them.
/// </summary>
[Collection(ConsoleMesh.Name)]
public sealed class PageTourTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task Each_page_is_reachable_from_the_navigation_and_shows_its_data()
    {
        var completed = await fixture.StartRunAsync(ConsoleFixture.QuickTemplate, ("team", "docs"), ("purpose", "tour"));
        var gated = await fixture.StartRunAsync(ConsoleFixture.GatedTemplate, ("team", "docs"));
        var failed = await fixture.StartRunAsync(ConsoleFixture.FailingTemplate);
        await fixture.Mesh.WaitForRunStateAsync(completed, "completed");
        await fixture.Mesh.WaitForRunStateAsync(gated, "awaitingApproval");
        await fixture.Mesh.WaitForRunStateAsync(failed, "failed");
        var approver = fixture.Mesh.GatewayClient("approver");
        await Eventually.UntilAsync(
            async () => (await approver.GetStringAsync($"/api/approvals?state=pending&runId={gated}")).Contains(gated.ToString(), StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            $"the approval service to hold the request of run {gated}");

        var page = await fixture.SignInAsync("admin");
        var navigation = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });

        await Assertions.Expect(page.Locator($"tr[data-run-id='{gated}']")).ToContainTextAsync("awaiting approval");
        await fixture.ScreenshotAsync(page, "runs");

        await navigation.GetByRole(AriaRole.Link, new() { Name = "Approvals" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Approvals" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = gated.ToString() })).ToContainTextAsync("sign-off");
        await Assertions.Expect(navigation.GetByRole(AriaRole.Link, new() { Name = "Approvals" })).ToHaveAttributeAsync("aria-current", "page");
        await fixture.ScreenshotAsync(page, "approvals");

        await navigation.GetByRole(AriaRole.Link, new() { Name = "Studies" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Studies" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("No studies yet.")).ToBeVisibleAsync();
        await fixture.ScreenshotAsync(page, "studies");

        await navigation.GetByRole(AriaRole.Link, new() { Name = "Templates" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Templates" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = ConsoleFixture.GatedTemplate, Exact = true })).ToBeVisibleAsync();
        await fixture.ScreenshotAsync(page, "templates");

        await page.GoBackAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Studies" })).ToBeVisibleAsync();
        // Chromium logs the 401 of GET /auth/session before sign-in as a failed load; that one is expected.
        fixture.ErrorsOf(page).Where(error => !error.Contains("status of 401", StringComparison.Ordinal))
            .ShouldBeEmpty("no CSP violation, failed load or script error on any page");
    }

    [Fact]
    public async Task A_section_the_role_may_not_read_is_not_offered_even_by_address()
    {
        var page = await fixture.SignInAsync("viewer", "/approvals");

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your role (viewer) cannot see approvals; it needs approver or higher.");
        (await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Approvals" }).CountAsync()).ShouldBe(0);
    }
}
