using System.Net;
using System.Text.Json;

namespace RunMesh.EndToEnd.Tests.Mesh;

/// <summary>The whole mesh boots as separate processes, and its services reach each other over the real broker.</summary>
public sealed class MeshBootTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_service_and_the_gateway_report_ready()
    {
        foreach (var service in fixture.Mesh.Services)
        {
            (await service.ReadyAsync()).ShouldBeTrue($"{service.Name} is not ready.{Environment.NewLine}{service.LogTail()}");
        }
    }

    [Theory]
    [InlineData("orchestrator", "approval")]
    [InlineData("orchestrator", "report")]
    [InlineData("orchestrator", "phase-worker")]
    [InlineData("report", "orchestrator")]
    [InlineData("phase-worker", "approval")]
    public async Task A_message_sent_by_one_service_process_is_answered_by_another_in_the_same_trace(string from, string to)
    {
        var sender = fixture.Mesh.Service(from);
        var receiver = fixture.Mesh.Service(to);

        using var response = await fixture.Mesh.ServiceClient(from).GetAsync($"/diagnostics/ping/{to}");
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        root.GetProperty("to").GetString().ShouldBe(to);
        root.GetProperty("responderProcessId").GetInt32().ShouldBe(receiver.ProcessId!.Value);
        receiver.ProcessId.ShouldNotBe(sender.ProcessId);
        var requesterTrace = root.GetProperty("requesterTraceId").GetString();
        requesterTrace.ShouldNotBeNullOrEmpty();
        root.GetProperty("responderTraceId").GetString().ShouldBe(requesterTrace, "the trace did not follow the message across the bus");
    }

    [Fact]
    public async Task A_killed_service_comes_back_on_restart_and_answers_over_the_bus_again()
    {
        var approval = fixture.Mesh.Service("approval");
        var before = approval.ProcessId;

        await approval.KillAsync();
        (await approval.ReadyAsync()).ShouldBeFalse();
        await approval.RestartAsync(s_timeout);

        approval.ProcessId.ShouldNotBe(before);
        await Eventually.UntilAsync(
            async () =>
            {
                using var response = await fixture.Mesh.ServiceClient("orchestrator").GetAsync("/diagnostics/ping/approval");
                return response.StatusCode == HttpStatusCode.OK
                    && JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("responderProcessId").GetInt32() == approval.ProcessId;
            },
            s_timeout,
            "the restarted approval service to answer a ping",
            () => approval.LogTail());
    }

    [Fact]
    public async Task Gateway_is_not_ready_while_a_destination_is_down()
    {
        var report = fixture.Mesh.Service("report");
        await report.KillAsync();
        try
        {
            await Eventually.UntilAsync(async () => !await fixture.Mesh.Gateway.ReadyAsync(), s_timeout, "the gateway to report not ready");
        }
        finally
        {
            await report.RestartAsync(s_timeout);
        }

        await fixture.Mesh.Gateway.WaitUntilReadyAsync(s_timeout);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/health/live")]
    public async Task Every_service_answers_its_default_endpoints(string path)
    {
        foreach (var service in fixture.Mesh.Services)
        {
            using var response = await service.Http.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{service.Name} {path}");
        }
    }

    [Theory]
    [InlineData("orchestrator")]
    [InlineData("phase-worker")]
    [InlineData("approval")]
    [InlineData("report")]
    public async Task Every_service_returns_the_callers_correlation_id_and_logs_it_with_the_request(string name)
    {
        // Through the gateway: Gateway/CorrelationIdTests. Here each service on its own, called directly.
        var service = fixture.Mesh.Service(name);
        var correlationId = $"test-{Guid.NewGuid():N}";
        const string Path = "/openapi/v1.json";
        using var request = new HttpRequestMessage(HttpMethod.Get, Path);
        request.Headers.Add("X-Correlation-Id", correlationId);

        using var response = await fixture.Mesh.ServiceClient(name).SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Correlation-Id").ShouldBe([correlationId]);
        await Eventually.UntilAsync(
            () => Task.FromResult(service.LogLineContains($"CorrelationId:{correlationId}", Path)),
            TimeSpan.FromSeconds(10),
            $"a line of {name}'s log with the correlation id and the request",
            () => service.LogTail(15));
    }
}
