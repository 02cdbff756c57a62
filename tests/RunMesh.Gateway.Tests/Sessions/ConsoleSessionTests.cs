using System.Net;
using System.Text;
using static RunMesh.Gateway.Tests.Sessions.SessionRequests;

namespace RunMesh.Gateway.Tests.Sessions;

/// <summary>One gateway (with a session directory of its own) in front of a recording destination, shared by a class.</summary>
public sealed class SessionGatewayFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("runmesh-sessions-").FullName;

    internal RecordingDestination Destination { get; private set; } = null!;

    internal GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Destination = await RecordingDestination.StartAsync();
        Gateway = new GatewayHost(Destination, _directory);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Destination.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>
/// Signing in to the console turns an API key into a session cookie the gateway accepts like the key: the same identity
/// and role reach the services; state-changing requests need the session's anti-forgery token; signing out ends it at once.
/// </summary>
public sealed class ConsoleSessionTests(SessionGatewayFixture fixture) : IClassFixture<SessionGatewayFixture>
{
    private readonly HttpClient _client = fixture.Gateway.Client();

    [Theory]
    [InlineData("viewer")]
    [InlineData("submitter")]
    [InlineData("approver")]
    [InlineData("admin")]
    public async Task Signing_in_with_a_role_key_gives_a_session_with_that_identity_and_role(string role)
    {
        using var login = await _client.PostAsync("/auth/login", LoginBody(GatewayHost.ApiKey(role)));

        login.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var (cookie, attributes) = SessionCookie(login);
        attributes.ShouldContain("httponly");
        attributes.ShouldContain("samesite=strict");
        attributes.ShouldContain("path=/");
        attributes.ShouldNotContain(a => a.StartsWith("expires=", StringComparison.Ordinal), "a browser-session cookie");
        attributes.ShouldNotContain("secure", "http");
        cookie.ShouldNotContain(GatewayHost.ApiKey(role));

        var session = await _client.SessionAsync(cookie);
        session.GetProperty("identity").GetString().ShouldBe($"test-{role}");
        session.GetProperty("role").GetString().ShouldBe(role);
        session.GetProperty("csrfToken").GetString()!.Length.ShouldBeGreaterThanOrEqualTo(32);
        session.EnumerateObject().Select(p => p.Name).ShouldBe(["identity", "role", "csrfToken"]);
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("admin")]
    public async Task A_session_reaches_the_services_as_the_same_caller_as_its_key(string role)
    {
        var cookie = await _client.SignInAsync(GatewayHost.ApiKey(role));
        var probe = Guid.NewGuid().ToString("N");

        using var bySession = await _client.SendAsync(Request(HttpMethod.Get, $"/api/runs/{probe}", cookie));
        using var byKey = await _client.SendAsync(WithKey(HttpMethod.Get, $"/api/runs/{probe}", role));

        bySession.StatusCode.ShouldBe(HttpStatusCode.OK);
        byKey.StatusCode.ShouldBe(HttpStatusCode.OK);
        var forwarded = fixture.Destination.Requests.Where(r => r.Path == $"/api/runs/{probe}").ToList();
        forwarded.Count.ShouldBe(2);
        forwarded[0].Identity().ShouldBe(($"test-{role}", role));
        forwarded[1].Identity().ShouldBe(forwarded[0].Identity());
        forwarded[0].Cookie.ShouldBeEmpty("the session cookie never reaches a service");
    }

    [Fact]
    public async Task The_cookie_is_secure_when_the_request_is_https()
    {
        using var login = await fixture.Gateway.Client("https").PostAsync("/auth/login", LoginBody(GatewayHost.ApiKey("viewer")));

        login.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        SessionCookie(login).Attributes.ShouldContain("secure");
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_401_problem_that_says_so()
    {
        const string Wrong = "rm_admin_this-is-not-a-key-we-issued";

        using var login = await _client.PostAsync("/auth/login", LoginBody(Wrong));

        var detail = await login.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
        detail.ShouldContain("API key is not known");
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        (await login.Content.ReadAsStringAsync()).ShouldNotContain("this-is-not-a-key");
    }

    [Theory]
    [InlineData("text/plain", "{\"apiKey\":\"k\"}", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    [InlineData("application/x-www-form-urlencoded", "apiKey=k", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    [InlineData("application/json", "{}", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "{\"apiKey\":\"\"}", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "{\"apiKey\":5}", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "{\"apiKey\":\"k\",\"role\":\"admin\"}", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "not json", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "[\"k\"]", HttpStatusCode.BadRequest, "invalid_request")]
    public async Task A_sign_in_that_is_not_one_json_api_key_is_refused_saying_what_to_send(
        string mediaType, string body, HttpStatusCode status, string code)
    {
        using var login = await _client.PostAsync("/auth/login", new StringContent(body, Encoding.UTF8, mediaType));

        (await login.ShouldBeProblemAsync(status, code)).ShouldContain("{\"apiKey\": \"<key>\"}");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("CfDJ8not-a-ticket")]
    public async Task Without_a_valid_session_the_session_endpoint_is_a_401_problem(string? cookie)
    {
        using var response = await _client.SendAsync(Request(HttpMethod.Get, "/auth/session", cookie));

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task An_api_key_does_not_make_a_session()
    {
        using var response = await _client.SendAsync(WithKey(HttpMethod.Get, "/auth/session", "admin"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Signing_out_ends_the_session_at_once()
    {
        var cookie = await _client.SignInAsync(GatewayHost.ApiKey("submitter"));
        var csrf = await _client.CsrfTokenAsync(cookie);
        using (var before = await _client.SendAsync(Request(HttpMethod.Get, "/api/runs", cookie)))
        {
            before.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var logout = await _client.SendAsync(Request(HttpMethod.Post, "/auth/logout", cookie, csrf));

        logout.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var (cleared, attributes) = SessionCookie(logout);
        cleared.ShouldBeEmpty();
        attributes.ShouldContain(a => a.StartsWith("expires=thu, 01 jan 1970", StringComparison.Ordinal));
        var probe = Guid.NewGuid().ToString("N");
        using var after = await _client.SendAsync(Request(HttpMethod.Get, $"/api/runs/{probe}", cookie));
        (await after.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated")).ShouldContain("sign in again");
        fixture.Destination.Requests.ShouldNotContain(r => r.Path == $"/api/runs/{probe}");
        using var session = await _client.SendAsync(Request(HttpMethod.Get, "/auth/session", cookie));
        await session.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Signing_in_again_ends_the_previous_session_of_that_browser()
    {
        var first = await _client.SignInAsync(GatewayHost.ApiKey("viewer"));
        using var again = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/auth/login")
        {
            Content = LoginBody(GatewayHost.ApiKey("admin")),
            Headers = { { "Cookie", $"{CookieName}={first}" } },
        });
        again.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var second = SessionCookie(again).Value;

        (await _client.SessionAsync(second)).GetProperty("role").GetString().ShouldBe("admin");
        using var old = await _client.SendAsync(Request(HttpMethod.Get, "/api/runs", first));
        await old.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-the-token")]
    [InlineData("other session")]
    public async Task A_state_changing_request_with_the_cookie_needs_the_session_csrf_token(string? token)
    {
        var cookie = await _client.SignInAsync(GatewayHost.ApiKey("submitter"));
        if (token == "other session")
        {
            token = await _client.CsrfTokenAsync(await _client.SignInAsync(GatewayHost.ApiKey("submitter")));
        }

        var probe = Guid.NewGuid().ToString("N");
        using var refused = await _client.SendAsync(Request(HttpMethod.Post, $"/api/runs/{probe}/cancel", cookie, token));

        var detail = await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "csrf_token_invalid");
        detail.ShouldContain("X-CSRF-Token");
        fixture.Destination.Requests.ShouldNotContain(r => r.Path.Contains(probe, StringComparison.Ordinal));

        using var accepted = await _client.SendAsync(Request(HttpMethod.Post, $"/api/runs/{probe}/cancel", cookie, await _client.CsrfTokenAsync(cookie)));
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
        fixture.Destination.Requests.Single(r => r.Path.Contains(probe, StringComparison.Ordinal)).Identity().ShouldBe(("test-submitter", "submitter"));
    }

    [Fact]
    public async Task Signing_out_needs_the_csrf_token_too()
    {
        var cookie = await _client.SignInAsync(GatewayHost.ApiKey("viewer"));

        using var refused = await _client.SendAsync(Request(HttpMethod.Post, "/auth/logout", cookie));

        await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "csrf_token_invalid");
        (await _client.SessionAsync(cookie)).GetProperty("identity").GetString().ShouldBe("test-viewer");
    }

    [Fact]
    public async Task Requests_with_an_api_key_need_no_csrf_token_even_beside_a_cookie()
    {
        var viewerCookie = await _client.SignInAsync(GatewayHost.ApiKey("viewer"));
        var probe = Guid.NewGuid().ToString("N");

        using var keyOnly = await _client.SendAsync(WithKey(HttpMethod.Post, $"/api/runs/{probe}/cancel", "submitter"));
        using var keyAndCookie = await _client.SendAsync(Request(HttpMethod.Post, $"/api/runs/{probe}/retry", viewerCookie, apiKey: GatewayHost.ApiKey("admin")));

        keyOnly.StatusCode.ShouldBe(HttpStatusCode.OK);
        keyAndCookie.StatusCode.ShouldBe(HttpStatusCode.OK);
        fixture.Destination.Requests.Single(r => r.Path == $"/api/runs/{probe}/cancel").Identity().ShouldBe(("test-submitter", "submitter"));
        fixture.Destination.Requests.Single(r => r.Path == $"/api/runs/{probe}/retry").Identity().ShouldBe(("test-admin", "admin"), "the key wins over the cookie");
    }

    [Fact]
    public async Task A_session_is_held_to_its_role_like_its_key()
    {
        var cookie = await _client.SignInAsync(GatewayHost.ApiKey("viewer"));
        var csrf = await _client.CsrfTokenAsync(cookie);

        using var start = await _client.SendAsync(Request(HttpMethod.Post, "/api/runs", cookie, csrf));
        using var approvals = await _client.SendAsync(Request(HttpMethod.Get, "/api/approvals", cookie));

        (await start.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).ShouldContain("needs role 'submitter'");
        await approvals.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Without_key_or_cookie_the_api_still_asks_for_a_key()
    {
        using var response = await _client.GetAsync("/api/runs");

        (await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated")).ShouldStartWith("No API key.");
        response.Headers.WwwAuthenticate.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task The_session_endpoints_are_in_the_gateway_document()
    {
        var document = await _client.GetStringAsync("/openapi/gateway.json");

        document.ShouldContain("\"/auth/login\"");
        document.ShouldContain("\"/auth/session\"");
        document.ShouldContain("\"/auth/logout\"");
    }
}

/// <summary>Sign-in attempts are limited per client address, right keys and wrong ones alike.</summary>
public sealed class LoginRateLimitTests
{
    [Fact]
    public async Task Sign_in_attempts_beyond_the_limit_get_429_with_retry_after()
    {
        var directory = Directory.CreateTempSubdirectory("runmesh-sessions-").FullName;
        await using var destination = await RecordingDestination.StartAsync();
        await using var gateway = new GatewayHost(destination, directory, new Dictionary<string, string?> { ["Gateway:Sessions:LoginAttemptsPerMinute"] = "3" });
        var client = gateway.Client();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using var wrong = await client.PostAsync("/auth/login", LoginBody($"rm_admin_guess_{i}"));
                await wrong.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
            }

            using var limited = await client.PostAsync("/auth/login", LoginBody(GatewayHost.ApiKey("admin")));

            (await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited")).ShouldContain("sign-in attempts");
            limited.Headers.RetryAfter?.Delta.ShouldNotBeNull();
            limited.Headers.RetryAfter!.Delta!.Value.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
            limited.Headers.Contains("Set-Cookie").ShouldBeFalse();

            using var api = await client.SendAsync(WithKey(HttpMethod.Get, "/api/runs", "viewer"));
            api.StatusCode.ShouldBe(HttpStatusCode.OK, $"the API with a key is not limited by sign-in attempts{Environment.NewLine}{gateway.Log}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
