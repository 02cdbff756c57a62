using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// A loopback TCP proxy owned by one test: services connect through it, and the test can <see cref="Cut"/> every
/// connection (and refuse new ones) and later <see cref="Restore"/> — a dependency outage without stopping a shared server.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Guid, (TcpClient Client, TcpClient Upstream)> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private volatile bool _cut;

    /// <summary>Starts a proxy on a free loopback port that forwards to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    public TcpProxy(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Parse(targetHost == "localhost" ? "127.0.0.1" : targetHost), targetPort);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The port to connect to instead of the target's.</summary>
    public int Port { get; }

    /// <summary>How many connections pass through right now.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Drops every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var (id, pair) in _connections)
        {
            Close(id, pair);
        }
    }

    /// <summary>Accepts and forwards connections again.</summary>
    public void Restore() => _cut = false;

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (_cut)
            {
                // Refuse: reset at once, as a dead server would.
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        var id = Guid.NewGuid();
        try
        {
            await upstream.ConnectAsync(_target, _stopping.Token);
            _connections[id] = (client, upstream);
            client.NoDelay = upstream.NoDelay = true;
            await Task.WhenAny(
                PumpAsync(client.GetStream(), upstream.GetStream()),
                PumpAsync(upstream.GetStream(), client.GetStream()));
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended; closing below is all there is to do.
        }
        finally
        {
            Close(id, (client, upstream));
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away.
        }
    }

    private void Close(Guid id, (TcpClient Client, TcpClient Upstream) pair)
    {
        _connections.TryRemove(id, out _);
        foreach (var socket in new[] { pair.Client, pair.Upstream })
        {
            try
            {
                // A TcpClient disposed meanwhile (Cut racing the connection's own end) has no socket any more.
                if (socket.Client is { } open)
                {
                    open.LingerState = new LingerOption(true, 0);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }

            socket.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut();
        await _acceptLoop;
        _stopping.Dispose();
    }
}
