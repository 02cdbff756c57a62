using System.Net;
using System.Text.RegularExpressions;

namespace RunMesh.Browser.Tests;

/// <summary>
/// Signing in and out of the console in Chromium: each role's key opens a session for that role, the key is kept
/// nowhere in the browser, a wrong key says so, and signing out makes the cookie worthless at once.
/// </summary>
[Collection(ConsoleMesh.Name)]
public sealed partial class SignInTests(ConsoleFixture fixture)
{
    [Theory]
    [InlineData("viewer", false)]
    [InlineData("submitter", false)]
    [InlineData("approver", true)]
    [InlineData("admin", true)]
    public async Task Each_role_key_signs_in_to_a_console_for_that_role(string role, bool seesApprovals)
    {
        var page = await fixture.SignInAsync(role);

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs" })).ToBeVisibleAsync();
        await Assertions.Expect(page).ToHaveURLAsync(RunsUrl());
        var navigation = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        foreach (var section in new[] { "Runs", "Studies", "Templates" })
        {
            await Assertions.Expect(navigation.GetByRole(AriaRole.Link, new() { Name = section, Exact = true })).ToBeVisibleAsync();
        }

        (await navigation.GetByRole(AriaRole.Link, new() { Name = "Approvals" }).CountAsync()).ShouldBe(seesApprovals ? 1 : 0);
        await Assertions.Expect(page.GetByText(role, new() { Exact = true })).ToBeVisibleAsync();

        // The key is nowhere the page's scripts could read it; the session cookie is HttpOnly and SameSite=Strict.
        var stored = await page.EvaluateAsync<string>("() => document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + location.href");
        stored.ShouldNotContain(fixture.Mesh.ApiKey(role));
        stored.ShouldNotContain("runmesh_session");
        var cookie = (await page.Context.CookiesAsync()).ShouldHaveSingleItem();
        cookie.Name.ShouldBe("runmesh_session");
        cookie.HttpOnly.ShouldBeTrue();
        cookie.SameSite.ShouldBe(SameSiteAttribute.Strict);
        cookie.Value.ShouldNotContain(fixture.Mesh.ApiKey(role));
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_clear_message()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/runs");

        await page.GetByLabel("API key").FillAsync("rm_admin_this-is-not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToHaveTextAsync("That API key is not valid. Check that it was copied whole (keys are case-sensitive).");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to RunMesh" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("API key")).ToHaveAttributeAsync("aria-invalid", "true");
        (await page.Context.CookiesAsync()).ShouldBeEmpty();
        await fixture.ScreenshotAsync(page, "sign-in-wrong-key");
    }

    [Fact]
    public async Task The_sign_in_page_names_its_controls()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to RunMesh" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("API key")).ToHaveAttributeAsync("type", "password");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeEnabledAsync();
        await fixture.ScreenshotAsync(page, "sign-in");
    }

    [Fact]
    public async Task Signing_out_makes_the_cookie_stop_working_on_the_api()
    {
        var page = await fixture.SignInAsync("submitter");
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "runmesh_session").Value;
        using var client = new HttpClient { BaseAddress = fixture.Mesh.Gateway.BaseAddress };
        using (var before = await client.SendAsync(WithCookie("/api/runs?limit=1", cookie)))
        {
            before.StatusCode.ShouldBe(HttpStatusCode.OK, "the cookie works while signed in");
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to RunMesh" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You have signed out.");
        using var after = await client.SendAsync(WithCookie("/api/runs?limit=1", cookie));
        after.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await after.Content.ReadAsStringAsync()).ShouldContain("\"code\":\"unauthenticated\"");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to RunMesh" })).ToBeVisibleAsync();
    }

    private static HttpRequestMessage WithCookie(string path, string cookie) =>
        new(HttpMethod.Get, path) { Headers = { { "Cookie", $"runmesh_session={cookie}" } } };

    [GeneratedRegex("/runs$")]
    private static partial Regex RunsUrl();
}
