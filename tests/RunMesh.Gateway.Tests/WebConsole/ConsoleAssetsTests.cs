using System.Net;
using System.Text.RegularExpressions;
using RunMesh.Gateway.Tests.Sessions;
using RunMesh.Gateway.WebConsole;

namespace RunMesh.Gateway.Tests.WebConsole;

/// <summary>A console build of the test's own (an index.html and one hashed asset), served by a gateway.</summary>
public sealed class ConsoleGatewayFixture : IAsyncLifetime
{
    private readonly string _sessions = Directory.CreateTempSubdirectory("runmesh-sessions-").FullName;
    private readonly string _assets = Directory.CreateTempSubdirectory("runmesh-console-").FullName;

    public const string IndexMarker = "<!-- console index -->";

    internal RecordingDestination Destination { get; private set; } = null!;

    internal GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_assets, "index.html"), $"<!doctype html><html><head>{IndexMarker}<script type=\"module\" src=\"/assets/index-AbC123.js\"></script></head><body></body></html>");
        Directory.CreateDirectory(Path.Combine(_assets, "assets"));
        File.WriteAllText(Path.Combine(_assets, "assets", "index-AbC123.js"), "console.log('console');");
        File.WriteAllText(Path.Combine(_assets, "favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        Destination = await RecordingDestination.StartAsync();
        Gateway = new GatewayHost(Destination, _sessions, new Dictionary<string, string?> { ["Gateway:Console:AssetsPath"] = _assets });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Destination.DisposeAsync();
        Directory.Delete(_sessions, recursive: true);
        Directory.Delete(_assets, recursive: true);
    }
}

/// <summary>
/// The gateway serves the console at <c>/</c>: its files, <c>index.html</c> for any other page path (the console routes
/// in the browser), never for the gateway's own paths; hashed assets cached for good, the rest revalidated; a
/// Content-Security-Policy without inline script on every answer.
/// </summary>
public sealed class ConsoleAssetsTests(ConsoleGatewayFixture fixture) : IClassFixture<ConsoleGatewayFixture>
{
    private readonly HttpClient _client = fixture.Gateway.Client();

    [Theory]
    [InlineData("/")]
    [InlineData("/runs")]
    [InlineData("/runs?state=failed&template=spec-review")]
    [InlineData("/runs/0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData("/approvals/")]
    [InlineData("/index.html")]
    public async Task A_page_path_gets_index_html_revalidated_with_the_policy(string path)
    {
        using var response = await _client.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsStringAsync()).ShouldContain(ConsoleGatewayFixture.IndexMarker);
        response.Headers.CacheControl?.NoCache.ShouldBeTrue();
        ShouldHaveSecurityHeaders(response);
        fixture.Destination.Requests.ShouldBeEmpty("the console is the gateway's own");
    }

    [Fact]
    public async Task A_hashed_asset_is_cached_as_immutable()
    {
        using var response = await _client.GetAsync("/assets/index-AbC123.js");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/javascript");
        response.Headers.CacheControl!.ToString().ShouldBe("public, max-age=31536000, immutable");
        response.Headers.ETag.ShouldNotBeNull();
        ShouldHaveSecurityHeaders(response);
    }

    [Fact]
    public async Task An_unhashed_file_is_revalidated_and_a_second_read_is_not_modified()
    {
        using var first = await _client.GetAsync("/favicon.svg");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.CacheControl?.NoCache.ShouldBeTrue();

        using var again = new HttpRequestMessage(HttpMethod.Get, "/favicon.svg");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var second = await _client.SendAsync(again);

        second.StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }

    [Theory]
    [InlineData("/assets/index-Missing.js")]
    [InlineData("/robots.txt")]
    [InlineData("/api/nothing-here")]
    [InlineData("/auth/nothing-here")]
    [InlineData("/health/nothing-here")]
    public async Task A_missing_file_or_a_gateway_path_is_a_404_problem_not_the_console(string path)
    {
        using var response = await _client.GetAsync(path);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task The_api_is_not_answered_by_the_console()
    {
        using var response = await _client.GetAsync("/api/runs");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Head_of_a_page_answers_like_get()
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/runs"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_path_outside_the_console_folder_is_not_served()
    {
        using var response = await _client.GetAsync("/assets/%2e%2e/%2e%2e/etc/passwd");

        var text = await response.Content.ReadAsStringAsync();
        text.ShouldNotContain("root:");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            text.ShouldContain(ConsoleGatewayFixture.IndexMarker, Case.Sensitive, "the server folds the dot segments into a page path");
        }
    }

    private static void ShouldHaveSecurityHeaders(HttpResponseMessage response)
    {
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldBe(ConsoleAssets.ContentSecurityPolicy);
        policy.ShouldContain("script-src 'self'");
        policy.ShouldNotContain("unsafe-inline");
        policy.ShouldNotContain("unsafe-eval");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
    }
}

/// <summary>The console the gateway's project builds (clients/Console) is in its output and is what <c>/</c> serves.</summary>
public sealed partial class BuiltConsoleTests
{
    [Fact]
    public async Task The_built_console_is_served_with_external_scripts_only()
    {
        var sessions = Directory.CreateTempSubdirectory("runmesh-sessions-").FullName;
        await using var destination = await RecordingDestination.StartAsync();
        await using var gateway = new GatewayHost(destination, sessions);
        try
        {
            var client = gateway.Client();
            var html = await client.GetStringAsync("/runs");

            html.ShouldContain("<title>RunMesh</title>");
            var scripts = ScriptTag().Matches(html).Select(m => m.Value).ToList();
            scripts.ShouldNotBeEmpty();
            scripts.ShouldAllBe(tag => ScriptSource().IsMatch(tag), "every script is a file of the gateway's (no inline script, no CDN)");
            foreach (Match source in ScriptSource().Matches(html))
            {
                using var script = await client.GetAsync(source.Groups["src"].Value);
                script.StatusCode.ShouldBe(HttpStatusCode.OK, source.Value);
                script.Headers.CacheControl!.ToString().ShouldContain("immutable");
            }

            html.ShouldNotContain("http://");
            html.ShouldNotContain("https://");
        }
        finally
        {
            Directory.Delete(sessions, recursive: true);
        }
    }

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("<script[^>]*\\bsrc=\"(?<src>/assets/[^\"]+\\.js)\"[^>]*>")]
    private static partial Regex ScriptSource();
}
