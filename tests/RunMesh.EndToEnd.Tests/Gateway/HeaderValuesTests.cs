using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>A header value the gateway could not forward is the client's mistake: 400 at the gateway, not 502.</summary>
[Collection(GatewayMesh.Name)]
public sealed class HeaderValuesTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("X-Thing", "café")]
    [InlineData("X-Thing", "日本")]
    [InlineData("Accept-Language", "fr-ç")]
    public async Task A_header_value_outside_ascii_is_refused_with_400_before_it_is_forwarded(string name, string value)
    {
        var (status, body) = await RawGetAsync(fixture.Mesh.Gateway.Port, "/api/templates", fixture.Mesh.ApiKey("viewer"), $"{name}: {value}");

        status.ShouldBe(400, body);
        using var problem = JsonDocument.Parse(body);
        problem.RootElement.GetProperty("code").GetString().ShouldBe("invalid_header", body);
        problem.RootElement.GetProperty("detail").GetString()!.ShouldContain(name);
        problem.RootElement.GetProperty("detail").GetString()!.ShouldNotContain(value);
    }

    [Fact]
    public async Task An_ascii_header_value_is_forwarded()
    {
        var (status, body) = await RawGetAsync(fixture.Mesh.Gateway.Port, "/api/templates", fixture.Mesh.ApiKey("viewer"), "X-Thing: cafe");

        status.ShouldBe(200, body);
    }

    /// <summary>HttpClient refuses to send non-ASCII header values: the request is written by hand, as UTF-8.</summary>
    private static async Task<(int Status, string Body)> RawGetAsync(int port, string path, string apiKey, string extraHeader)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var stream = tcp.GetStream();
        var request = $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Api-Key: {apiKey}\r\n{extraHeader}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var status = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var separator = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = separator < 0 ? "" : response[(separator + 4)..];
        if (response.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        return (status, body);
    }

    private static string Unchunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[position..lineEnd], 16);
            if (size == 0)
            {
                break;
            }

            // The body is ASCII JSON here, so characters and bytes agree.
            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
