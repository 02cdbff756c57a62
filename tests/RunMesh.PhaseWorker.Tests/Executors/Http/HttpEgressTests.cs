using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RunMesh.Contracts;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Executors.Http;
using RunMesh.PhaseWorker.Tests.Infrastructure;

namespace RunMesh.PhaseWorker.Tests.Executors.Http;

/// <summary>The http executor calls only allowed hosts and ports, and never link-local or cloud metadata addresses.</summary>
public sealed class HttpEgressTests
{
    [Fact]
    public async Task An_allowed_loopback_port_is_called()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"x","steps":["one"]}""");
        await using var services = WorkerServices.Build(options => options.Http.AllowedHosts = [$"127.0.0.1:{server.BaseAddress.Port}"]);

        var result = await services.Executor("http").ExecuteAsync(Command(server.BaseAddress.ToString()), CancellationToken.None);

        result.Artifact!["title"]!.GetValue<string>().ShouldBe("x");
        server.Requests.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task A_port_not_in_the_allow_list_gets_no_request_and_the_attempt_fails_saying_why()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"x","steps":["one"]}""");
        var otherPort = server.BaseAddress.Port == 1 ? 2 : 1;
        await using var services = WorkerServices.Build(options => options.Http.AllowedHosts = [$"127.0.0.1:{otherPort}", "localhost:*"]);

        var error = await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("http").ExecuteAsync(Command(new Uri(server.BaseAddress, "/secret?token=abc").ToString()), CancellationToken.None));

        error.Message.ShouldBe($"http: 127.0.0.1:{server.BaseAddress.Port} is not in PhaseWorker:Http:AllowedHosts");
        error.Message.ShouldNotContain("token");
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task An_empty_allow_list_allows_nothing()
    {
        await using var server = await FakeServer.AnsweringAsync(200, """{"title":"x","steps":["one"]}""");
        await using var services = WorkerServices.Build(options => options.Http.AllowedHosts = []);

        var error = await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("http").ExecuteAsync(Command(server.BaseAddress.ToString()), CancellationToken.None));

        error.Message.ShouldContain("PhaseWorker:Http:AllowedHosts is empty");
        server.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://169.254.170.2/v2/credentials")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://[fe80::1]:8080/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://METADATA.google.internal./computeMetadata/v1/")]
    public async Task Link_local_and_metadata_addresses_are_refused_even_when_every_host_is_allowed(string url)
    {
        await using var services = WorkerServices.Build(options => options.Http.AllowedHosts = ["*:*"]);

        var clock = Stopwatch.StartNew();
        var error = await Should.ThrowAsync<ExecutorException>(() => services.Executor("http").ExecuteAsync(Command(url), CancellationToken.None));

        error.Message.ShouldContain("link-local or cloud metadata address");
        error.InnerException.ShouldBeNull("refused before any request was sent");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fe80::1]/")]
    public async Task The_connection_itself_is_refused_for_a_metadata_address(string url)
    {
        // The executor's own client, past the URL check: as if a name had resolved to the address (DNS rebinding).
        await using var services = WorkerServices.Build(options => options.Http.AllowedHosts = ["*:*"]);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpResponses.HttpClient);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);

        var clock = Stopwatch.StartNew();
        var error = await Should.ThrowAsync<ExecutorException>(() => HttpResponses.SendAsync(client, request, "http", CancellationToken.None));

        error.Message.ShouldContain("no connection made");
        error.InnerException!.InnerException.ShouldBeOfType<EgressRefusedException>();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2), "refused without trying to connect");
    }

    [Fact]
    public void The_connect_time_check_knows_the_forbidden_ranges()
    {
        string[] forbidden = ["169.254.0.1", "169.254.169.254", "169.254.255.255", "fe80::1", "febf::1", "fd00:ec2::254", "::ffff:169.254.169.254"];
        string[] permitted = ["127.0.0.1", "10.0.0.1", "169.253.255.255", "169.255.0.0", "::1", "fec0::1", "fd00:ec2::253", "192.168.1.1"];

        forbidden.Where(address => !HttpEgressPolicy.IsForbidden(System.Net.IPAddress.Parse(address))).ShouldBeEmpty();
        permitted.Where(address => HttpEgressPolicy.IsForbidden(System.Net.IPAddress.Parse(address))).ShouldBeEmpty();
    }

    private static ExecutePhase Command(string url) =>
        Commands.Execute(executor: "http", settings: new JsonObject { ["url"] = url });
}
