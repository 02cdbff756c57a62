using System.Diagnostics;
using System.Net;
using System.Text;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// A request that takes longer than the gateway's request timeout ends with 504 problem+json, except on the run's
/// event stream, which stays open as long as the service keeps it open. The destination is a slow HTTP server
/// the test owns, behind a gateway with a 1 s timeout.
/// </summary>
[Collection(GatewayMesh.Name)]
public sealed class TimeoutTests(GatewayFixture fixture) : IAsyncLifetime, IDisposable
{
    private readonly SlowDestination _destination = new();
    private ServiceProcess? _gateway;

    public async Task InitializeAsync() =>
        _gateway = await fixture.Mesh.StartGatewayAsync($"gateway-timeout-{Guid.NewGuid():N}"[..24], new Dictionary<string, string>
        {
            ["Gateway:RequestTimeoutSeconds"] = "1",
            ["ReverseProxy:Clusters:orchestrator:Destinations:orchestrator-1:Address"] = _destination.Address.ToString(),
        }, waitUntilReady: false);

    public Task DisposeAsync() => _gateway?.KillAsync() ?? Task.CompletedTask;

    public void Dispose() => _destination.Dispose();

    [Fact]
    public async Task A_request_over_the_timeout_gets_a_504_problem()
    {
        var clock = Stopwatch.StartNew();
        using var response = await fixture.Mesh.GatewayClient("viewer", gateway: _gateway).GetAsync($"/api/runs/{Guid.NewGuid()}");

        await response.ShouldBeProblemAsync(HttpStatusCode.GatewayTimeout, "gateway_timeout");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task The_event_stream_stays_open_past_the_request_timeout()
    {
        var clock = Stopwatch.StartNew();
        using var response = await fixture.Mesh.GatewayClient("viewer", gateway: _gateway)
            .GetAsync($"/api/runs/{Guid.NewGuid()}/events/stream", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        body.Split(": heartbeat").Length.ShouldBe(SlowDestination.Heartbeats + 1, body);
        clock.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(2));
    }

    /// <summary>Answers health at once, streams heartbeats for 3 s on <c>…/events/stream</c>, and everything else after 5 s.</summary>
    private sealed class SlowDestination : IDisposable
    {
        public const int Heartbeats = 6;
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();

        public SlowDestination()
        {
            Address = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}/");
            _listener.Prefixes.Add(Address.ToString());
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public Uri Address { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Close();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                _ = Task.Run(() => AnswerAsync(context));
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            var response = context.Response;
            try
            {
                var path = context.Request.Url!.AbsolutePath;
                if (path.EndsWith("/events/stream", StringComparison.Ordinal))
                {
                    response.ContentType = "text/event-stream";
                    response.SendChunked = true;
                    for (var i = 0; i < Heartbeats; i++)
                    {
                        var line = Encoding.UTF8.GetBytes(": heartbeat\n\n");
                        await response.OutputStream.WriteAsync(line, _stop.Token);
                        await response.OutputStream.FlushAsync(_stop.Token);
                        await Task.Delay(TimeSpan.FromMilliseconds(500), _stop.Token);
                    }
                }
                else if (!path.StartsWith("/health/", StringComparison.Ordinal))
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or IOException or ObjectDisposedException)
            {
                // The gateway gave up on the request, or the test is over.
            }
            finally
            {
                try
                {
                    response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                }
            }
        }
    }
}
