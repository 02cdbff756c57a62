using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace RunMesh.EndToEnd.Tests.ChildRuns;

/// <summary>
/// The other system behind the child templates' <c>http</c> phase (on 127.0.0.1): answers <c>{"text": …}</c> for the
/// <c>inputs.title</c> it is sent, fails the first call for each title in <see cref="FailOnce"/> (500), and never
/// answers a title in <see cref="Hang"/> (until disposed). It counts the calls per title.
/// </summary>
public sealed class ChildWebhook : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public ChildWebhook()
    {
        Address = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}/");
        _listener.Prefixes.Add(Address.ToString());
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public Uri Address { get; }

    /// <summary>Titles whose first call is answered 500.</summary>
    public ConcurrentDictionary<string, bool> FailOnce { get; } = new(StringComparer.Ordinal);

    /// <summary>Titles that are never answered.</summary>
    public ConcurrentDictionary<string, bool> Hang { get; } = new(StringComparer.Ordinal);

    /// <summary>How often <paramref name="title"/> was called.</summary>
    public int CallsFor(string title) => _calls.GetValueOrDefault(title);

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
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync(_stop.Token));
            var title = body?["inputs"]?["title"]?.GetValue<string>() ?? "";
            var call = _calls.AddOrUpdate(title, 1, (_, n) => n + 1);
            if (Hang.ContainsKey(title))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _stop.Token);
            }

            var failing = call == 1 && FailOnce.ContainsKey(title);
            response.StatusCode = failing ? 500 : 200;
            response.ContentType = "application/json";
            var answer = Encoding.UTF8.GetBytes(failing ? """{"error":"first call fails"}""" : new JsonObject { ["text"] = $"chapter {title}" }.ToJsonString());
            await response.OutputStream.WriteAsync(answer, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or IOException or ObjectDisposedException)
        {
            // The worker gave up on the request, or the test is over.
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
