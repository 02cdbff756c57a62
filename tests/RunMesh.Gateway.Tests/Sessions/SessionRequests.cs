using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace RunMesh.Gateway.Tests.Sessions;

/// <summary>What a browser does with the console's session, step by step, so each test can also do what a browser would not.</summary>
internal static class SessionRequests
{
    public const string CookieName = "runmesh_session";

    /// <summary>Signs in with <paramref name="apiKey"/> (204 expected) and returns the session cookie's value.</summary>
    public static async Task<string> SignInAsync(this HttpClient client, string apiKey)
    {
        using var response = await client.PostAsync("/auth/login", LoginBody(apiKey));
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return SessionCookie(response).Value;
    }

    public static StringContent LoginBody(string apiKey) =>
        new(JsonSerializer.Serialize(new { apiKey }), Encoding.UTF8, "application/json");

    /// <summary>The <c>Set-Cookie</c> of the session cookie: its value and its attributes (lower case).</summary>
    public static (string Value, string[] Attributes) SessionCookie(HttpResponseMessage response)
    {
        var header = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.LastOrDefault(v => v.StartsWith(CookieName + "=", StringComparison.Ordinal))
            : null;
        header.ShouldNotBeNull("the response sets the session cookie");
        var parts = header.Split(';', StringSplitOptions.TrimEntries);
        return (parts[0][(CookieName.Length + 1)..], [.. parts.Skip(1).Select(p => p.ToLowerInvariant())]);
    }

    /// <summary>A request carrying the session cookie and, when given, <c>X-CSRF-Token</c>.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? cookie, string? csrfToken = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{CookieName}={cookie}");
        }

        if (csrfToken is not null)
        {
            request.Headers.Add("X-CSRF-Token", csrfToken);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        if (method != HttpMethod.Get)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return request;
    }

    /// <summary><c>GET /auth/session</c> with the cookie: 200 expected; the session as JSON.</summary>
    public static async Task<JsonElement> SessionAsync(this HttpClient client, string cookie)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Get, "/auth/session", cookie));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Headers.CacheControl?.NoStore.ShouldBeTrue();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The session's anti-forgery token.</summary>
    public static async Task<string> CsrfTokenAsync(this HttpClient client, string cookie) =>
        (await client.SessionAsync(cookie)).GetProperty("csrfToken").GetString()!;

    /// <summary>Asserts a problem+json with <paramref name="status"/> and <paramref name="code"/>; returns its detail.</summary>
    public static async Task<string> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("code").GetString().ShouldBe(code, text);
        return problem.GetProperty("detail").GetString()!;
    }

    /// <summary>An http(s) client's request for the API with the role's key (no cookie).</summary>
    public static HttpRequestMessage WithKey(HttpMethod method, string path, string role)
    {
        var request = Request(method, path, cookie: null);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.ApiKey(role));
        return request;
    }
}
