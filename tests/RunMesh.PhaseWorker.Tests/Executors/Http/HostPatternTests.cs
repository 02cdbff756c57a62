using RunMesh.PhaseWorker.Executors.Http;

namespace RunMesh.PhaseWorker.Tests.Executors.Http;

/// <summary>Which URLs an <c>AllowedHosts</c> entry lets the http executor call.</summary>
public sealed class HostPatternTests
{
    public static TheoryData<string, string, bool> Cases => new()
    {
        // A name without a port: the scheme's default port only.
        { "api.example.com", "https://api.example.com/phase", true },
        { "api.example.com", "http://api.example.com/phase", true },
        { "api.example.com", "https://API.Example.COM./phase", true },
        { "api.example.com", "https://api.example.com:8443/phase", false },
        { "api.example.com", "https://other.example.com/phase", false },
        { "api.example.com", "https://api.example.com.evil.test/phase", false },
        // A wildcard: subdomains at any depth, not the domain itself.
        { "*.example.com:443", "https://api.example.com/phase", true },
        { "*.example.com:443", "https://a.b.example.com:443/phase", true },
        { "*.example.com:443", "https://example.com/phase", false },
        { "*.example.com:443", "https://notexample.com/phase", false },
        { "*.example.com:443", "http://api.example.com/phase", false },
        // IP addresses and ports.
        { "127.0.0.1:*", "http://127.0.0.1:5101/health", true },
        { "127.0.0.1:*", "http://127.0.0.2:5101/health", false },
        { "127.0.0.1:*", "http://localhost:5101/health", false },
        { "127.0.0.1:8080", "http://127.0.0.1:8080/", true },
        { "127.0.0.1:8080", "http://127.0.0.1:8081/", false },
        { "[::1]:*", "http://[::1]:5101/", true },
        { "[::1]:*", "http://127.0.0.1:5101/", false },
        { "localhost:*", "http://localhost:1/", true },
        // Any host.
        { "*", "https://anything.test/", true },
        { "*", "https://anything.test:8443/", false },
        { "*:*", "https://anything.test:8443/", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_pattern_matches_the_urls_of_its_host_and_port(string pattern, string url, bool matches)
    {
        HostPattern.TryParse(pattern, out var parsed).ShouldBeTrue();

        parsed.Matches(new Uri(url)).ShouldBe(matches, $"{pattern} vs {url}");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("api.example.com:")]
    [InlineData("api.example.com:0")]
    [InlineData("api.example.com:65536")]
    [InlineData("api.example.com:http")]
    [InlineData("http://api.example.com")]
    [InlineData("api.example.com/path")]
    [InlineData("::1")]
    [InlineData("[::1")]
    [InlineData("[::1]x")]
    [InlineData("[not-an-address]:80")]
    [InlineData("*.")]
    [InlineData("api.*.com")]
    public void A_malformed_pattern_is_refused(string pattern) =>
        HostPattern.TryParse(pattern, out _).ShouldBeFalse();

    [Fact]
    public void A_malformed_pattern_stops_the_worker_from_starting_with_the_key_named()
    {
        var options = new PhaseWorkerOptions { Http = { AllowedHosts = ["127.0.0.1:*", "http://api.example.com"] } };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        errors.ShouldHaveSingleItem().ErrorMessage!.ShouldContain("PhaseWorker:Http:AllowedHosts:1");
    }
}
