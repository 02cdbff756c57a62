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
        document.RootElement.GetProperty("servers")[0].GetProperty("url").GetString().ShouldBe(fixture.Mesh.Gateway.BaseAddress.ToString().TrimEnd('/'));
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
}
