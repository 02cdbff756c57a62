using System.Net;
using System.Text.Json;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>The gateway serves each service's OpenAPI document and a browsable page, without a key.</summary>
[Collection(GatewayMesh.Name)]
public sealed class ApiDocumentsTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("orchestrator")]
    [InlineData("approval")]
    [InlineData("report")]
    public async Task A_service_document_is_served_through_the_gateway_pointing_at_the_gateway(string service)
    {
        using var response = await fixture.Mesh.GatewayClient(null).GetAsync($"/openapi/{service}.json");

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        using var document = JsonDocument.Parse(text);
        document.RootElement.GetProperty("openapi").GetString().ShouldNotBeNullOrEmpty();
        // No public URL configured: no server, so clients resolve paths against the gateway they read it from.
        document.RootElement.TryGetProperty("servers", out _).ShouldBeFalse(text);
        document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey").GetProperty("name").GetString().ShouldBe("X-Api-Key");
    }

    [Fact]
    public async Task The_gateway_document_and_the_docs_page_are_anonymous()
    {
        var client = fixture.Mesh.GatewayClient(null);

        using var document = await client.GetAsync("/openapi/gateway.json");
        using var page = await client.GetAsync("/docs");

        document.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
    }

    [Theory]
    [InlineData("/openapi/orchestrator.json")]
    [InlineData("/openapi/approval.json")]
    [InlineData("/openapi/report.json")]
    [InlineData("/openapi/gateway.json")]
    public async Task A_forged_host_header_is_not_echoed_into_a_document(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "evil.example";

        using var response = await fixture.Mesh.GatewayClient(null).SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        text.ShouldNotContain("evil.example");
    }

    [Fact]
    public async Task A_service_own_document_names_no_server()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "evil.example";

        using var response = await fixture.Mesh.Service("orchestrator").Http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        text.ShouldNotContain("evil.example");
        JsonDocument.Parse(text).RootElement.TryGetProperty("servers", out _).ShouldBeFalse(text);
    }

    [Fact]
    public async Task The_configured_public_url_is_the_documents_server()
    {
        const string PublicUrl = "https://runmesh.example.com";
        var gateway = await fixture.Mesh.StartGatewayAsync("gateway-public-url", new Dictionary<string, string> { ["Gateway:PublicUrl"] = PublicUrl + "/" });
        var client = fixture.Mesh.GatewayClient(null, gateway: gateway);

        foreach (var path in new[] { "/openapi/orchestrator.json", "/openapi/gateway.json" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "evil.example";
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
            using var document = JsonDocument.Parse(text);
            document.RootElement.GetProperty("servers").EnumerateArray().Select(server => server.GetProperty("url").GetString())
                .ShouldBe([PublicUrl], path);
        }
    }
}
