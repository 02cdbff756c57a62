using System.Net;
using static RunMesh.Gateway.Tests.Sessions.SessionRequests;

namespace RunMesh.Gateway.Tests.Sessions;

/// <summary>
/// A session outlives a gateway restart (the key ring and the sign-outs are in the session directory), follows its
/// key's configuration, and ends after the idle timeout — which each request pushes back.
/// </summary>
public sealed class SessionLifetimeTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("runmesh-sessions-").FullName;
    private RecordingDestination _destination = null!;

    public async Task InitializeAsync() => _destination = await RecordingDestination.StartAsync();

    public async Task DisposeAsync()
    {
        await _destination.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_restarted_gateway_accepts_the_session_and_remembers_its_sign_out()
    {
        string cookie, csrf;
        await using (var before = new GatewayHost(_destination, _directory))
        {
            var client = before.Client();
            cookie = await client.SignInAsync(GatewayHost.ApiKey("approver"));
            csrf = await client.CsrfTokenAsync(cookie);
        }

        await using (var restarted = new GatewayHost(_destination, _directory))
        {
            var client = restarted.Client();
            var session = await client.SessionAsync(cookie);
            session.GetProperty("identity").GetString().ShouldBe("test-approver");
            session.GetProperty("csrfToken").GetString().ShouldBe(csrf);
            using var approvals = await client.SendAsync(Request(HttpMethod.Get, "/api/approvals", cookie));
            approvals.StatusCode.ShouldBe(HttpStatusCode.OK);
            _destination.Requests.Last().Identity().ShouldBe(("test-approver", "approver"));

            using var logout = await client.SendAsync(Request(HttpMethod.Post, "/auth/logout", cookie, csrf));
            logout.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        await using var again = new GatewayHost(_destination, _directory);
        using var afterSignOut = await again.Client().SendAsync(Request(HttpMethod.Get, "/api/approvals", cookie));
        await afterSignOut.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Another_key_ring_does_not_accept_the_cookie()
    {
        string cookie;
        await using (var first = new GatewayHost(_destination, _directory))
        {
            cookie = await first.Client().SignInAsync(GatewayHost.ApiKey("viewer"));
        }

        var elsewhere = Directory.CreateTempSubdirectory("runmesh-sessions-").FullName;
        try
        {
            await using var other = new GatewayHost(_destination, elsewhere);
            using var response = await other.Client().SendAsync(Request(HttpMethod.Get, "/api/runs", cookie));
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public async Task A_session_follows_its_key_configuration_role_changes_and_removal()
    {
        string cookie;
        await using (var first = new GatewayHost(_destination, _directory))
        {
            cookie = await first.Client().SignInAsync(GatewayHost.ApiKey("viewer"));
        }

        await using (var promoted = new GatewayHost(_destination, _directory, new Dictionary<string, string?> { ["Gateway:ApiKeys:test-viewer:Role"] = "admin" }))
        {
            (await promoted.Client().SessionAsync(cookie)).GetProperty("role").GetString().ShouldBe("admin");
        }

        var rotated = RunMesh.Gateway.Authentication.ApiKeyRing.HashOf("rm_viewer_the-new-key-after-rotation");
        await using var removed = new GatewayHost(_destination, _directory, new Dictionary<string, string?> { ["Gateway:ApiKeys:test-viewer:KeyHashes:0"] = rotated });
        using var response = await removed.Client().SendAsync(Request(HttpMethod.Get, "/api/runs", cookie));
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task A_session_slides_with_use_and_ends_after_eight_idle_hours()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var gateway = new GatewayHost(_destination, _directory, clock: clock);
        var client = gateway.Client();
        var first = await client.SignInAsync(GatewayHost.ApiKey("viewer"));

        clock.Advance(TimeSpan.FromHours(5));
        using var renewing = await client.SendAsync(Request(HttpMethod.Get, "/api/runs", first));
        renewing.StatusCode.ShouldBe(HttpStatusCode.OK);
        var renewed = SessionCookie(renewing).Value;
        renewed.ShouldNotBe(first, "past half its lifetime a used session gets a fresh cookie");

        clock.Advance(TimeSpan.FromHours(5));
        using var stale = await client.SendAsync(Request(HttpMethod.Get, "/api/runs", first));
        await stale.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
        using var slid = await client.SendAsync(Request(HttpMethod.Get, "/api/runs", renewed));
        slid.StatusCode.ShouldBe(HttpStatusCode.OK, "ten hours after sign-in, five after the last use");

        clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1));
        using var idle = await client.SendAsync(Request(HttpMethod.Get, "/api/runs", renewed));
        await idle.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
