using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Reliability.Tests.Load;

/// <summary>
/// A test client in the approver role that keeps approving whatever is pending: it lists
/// <c>GET /api/approvals?state=pending</c> and POSTs an <c>approve</c> decision for each request, several times a
/// second, until disposed. Errors (the approval service or the gateway is being killed) are counted and ignored:
/// the next round asks again.
/// </summary>
public sealed class AutoApprover : IAsyncDisposable
{
    private static readonly TimeSpan s_round = TimeSpan.FromMilliseconds(250);

    private readonly HttpClient _approver;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _decisions;
    private int _errors;

    public AutoApprover(MeshHarness mesh)
    {
        _approver = mesh.GatewayClient("approver");
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Decisions the approval service accepted (200).</summary>
    public int Decisions => _decisions;

    /// <summary>Rounds or decisions that failed (and were tried again).</summary>
    public int Errors => _errors;

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(s_round);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await ApproveWhatIsPendingAsync();
                await timer.WaitForNextTickAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }

    private async Task ApproveWhatIsPendingAsync()
    {
        using var list = await _approver.GetAsync("/api/approvals?state=pending&limit=200", _stop.Token);
        if (!list.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref _errors);
            return;
        }

        var page = await list.Content.ReadFromJsonAsync<JsonObject>(_stop.Token);
        foreach (var item in page!["items"]!.AsArray())
        {
            var requestId = item!["requestId"]!.GetValue<string>();
            using var decision = await _approver.PostAsJsonAsync(
                $"/api/approvals/{requestId}/decision",
                new JsonObject { ["action"] = "approve", ["comment"] = "approved by the reliability suite" },
                _stop.Token);
            if (decision.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _decisions);
            }
            else
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
