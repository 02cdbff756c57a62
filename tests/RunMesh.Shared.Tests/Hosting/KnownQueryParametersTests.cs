using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using RunMesh.Hosting.Requests;

namespace RunMesh.Shared.Tests.Hosting;

public sealed class KnownQueryParametersTests
{
    [Fact]
    public void An_api_endpoint_takes_the_query_parameters_its_handler_binds()
    {
        var known = KnownOf("/api/things/{id}", (string id, string? state, string[]? label, int? limit, HttpRequest request, CancellationToken cancellationToken) => "");

        known.ShouldBe(["state", "label", "limit"]);
    }

    [Fact]
    public void A_from_query_name_is_the_name_taken()
    {
        var known = KnownOf("/api/things", ([FromQuery(Name = "created-after")] string? createdAfter) => "");

        known.ShouldBe(["created-after"]);
    }

    [Fact]
    public void An_endpoint_without_query_parameters_takes_none()
    {
        var known = KnownOf("/api/things/{id}/events/stream", (string id, HttpRequest request) => "");

        known.ShouldNotBeNull().ShouldBeEmpty();
    }

    [Fact]
    public void Endpoints_outside_the_api_are_not_checked() =>
        KnownOf("/health/other", (string? anything) => "").ShouldBeNull();

    private static IReadOnlyList<string>? KnownOf(string pattern, Delegate handler)
    {
        var app = WebApplication.CreateBuilder().Build();
        app.MapGet(pattern, handler);
        var endpoint = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).Single();
        return KnownQueryParameters.Of(endpoint);
    }
}
