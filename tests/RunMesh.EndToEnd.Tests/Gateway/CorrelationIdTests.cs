using System.Net;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// <c>X-Correlation-Id</c> end to end, through the gateway to each service process: the client's id (or the one the
/// gateway makes when the client sends none, or sends one that could forge log lines) comes back on the response and
/// shows in the gateway's log and in the log of the service the route leads to.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class CorrelationIdTests(GatewayFixture fixture)
{
    private const string Header = "X-Correlation-Id";
    private static readonly TimeSpan s_logged = TimeSpan.FromSeconds(10);

    /// <summary>role, path ({id} is replaced by a fresh id), the service the route leads to.</summary>
    public static TheoryData<string, string, string> Routes() => new()
    {
        { "viewer", "/api/templates", "orchestrator" },
        { "viewer", "/api/runs", "orchestrator" },
        { "approver", "/api/approvals", "approval" },
        { "viewer", "/api/runs/{id}/report", "report" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_client_correlation_id_is_returned_and_logged_by_the_gateway_and_the_service(string role, string path, string service)
    {
        var correlationId = $"client-{Guid.NewGuid():N}";

        var (returned, target) = await SendAsync(role, path, correlationId);

        returned.ShouldBe(correlationId);
        await UntilLoggedAsync(fixture.Mesh.Gateway, correlationId, target);
        await UntilLoggedAsync(fixture.Mesh.Service(service), correlationId, target);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Without_a_client_id_the_gateway_makes_one_returns_it_and_the_service_logs_the_same_id(string role, string path, string service)
    {
        var (returned, target) = await SendAsync(role, path, correlationId: null);

        returned.ShouldNotBeNullOrWhiteSpace();
        await UntilLoggedAsync(fixture.Mesh.Gateway, returned, target);
        await UntilLoggedAsync(fixture.Mesh.Service(service), returned, target);
    }

    /// <summary>Ids the gateway does not accept: spaces (a forged scope), quotes and braces, over 128 characters.</summary>
    public static TheoryData<string> UnacceptableIds() =>
    [
        "forged CorrelationId:someone-else",
        "quote\"and{braces}",
        "too-long-" + new string('x', 120),
    ];

    [Theory]
    [MemberData(nameof(UnacceptableIds))]
    public async Task A_client_id_that_could_forge_log_lines_is_replaced_and_never_reaches_a_log(string unacceptable)
    {
        var (returned, target) = await SendAsync("approver", "/api/approvals", unacceptable);

        returned.ShouldNotBe(unacceptable);
        returned.ShouldNotBeNullOrWhiteSpace();
        var approval = fixture.Mesh.Service("approval");
        await UntilLoggedAsync(approval, returned, target);
        await UntilLoggedAsync(fixture.Mesh.Gateway, returned, target);
        foreach (var process in new[] { fixture.Mesh.Gateway, approval })
        {
            process.LogContains(unacceptable).ShouldBeFalse(process.LogLinesContaining(unacceptable));
        }
    }

    /// <summary>Sends the request with the role's key (and the id, when given); returns the response's id and the path sent.</summary>
    private async Task<(string Returned, string Target)> SendAsync(string role, string path, string? correlationId)
    {
        var target = path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        if (correlationId is not null)
        {
            request.Headers.TryAddWithoutValidation(Header, correlationId).ShouldBeTrue();
        }

        using var response = await fixture.Mesh.GatewayClient(role).SendAsync(request);

        // The report of a run that does not exist is the report service's own 404: the request reached it.
        response.StatusCode.ShouldBeOneOf(HttpStatusCode.OK, HttpStatusCode.NotFound);
        response.Headers.TryGetValues(Header, out var values).ShouldBeTrue($"no {Header} on the response");
        return (values!.Single(), target);
    }

    /// <summary>Log lines arrive through the child's stdout pipe a moment after the response.</summary>
    private static Task UntilLoggedAsync(ServiceProcess process, string correlationId, string path) =>
        Eventually.UntilAsync(
            () => Task.FromResult(process.LogLineContains($"CorrelationId:{correlationId}", path)),
            s_logged,
            $"a line of {process.Name}'s log with correlation id {correlationId} and {path}",
            () => process.LogLinesContaining(correlationId) + Environment.NewLine + process.LogTail(15));
}
