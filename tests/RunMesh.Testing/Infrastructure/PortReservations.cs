using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// Hands out loopback ports for the services and proxies tests start, so that parallel test processes never pick
/// the same one. Asking the OS for port 0 and releasing it is not enough: the next process asking gets the same port
/// back, and a service of one test then answered another test's health probe.
/// </summary>
/// <remarks>
/// A port is taken from below the kernel's ephemeral range (so no outgoing connection holds it) and reserved with an
/// exclusive lock on <c>{temp}/runmesh-ports/{port}.lock</c>, held until this process ends; the kernel drops the lock
/// when the process dies, so a crashed test run leaves nothing reserved.
/// </remarks>
public static class PortReservations
{
    private const int FirstPort = 20000;
    private const int LastPort = 32000;
    private static readonly string s_directory = Path.Combine(Path.GetTempPath(), "runmesh-ports");
    private static readonly ConcurrentDictionary<int, FileStream> s_held = new();

    /// <summary>Reserves a port no other test process holds and nothing listens on.</summary>
    public static int Reserve()
    {
        Directory.CreateDirectory(s_directory);
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(FirstPort, LastPort);
            if (s_held.ContainsKey(port) || TryLock(port) is not { } lockFile)
            {
                continue;
            }

            if (IsFree(port) && s_held.TryAdd(port, lockFile))
            {
                return port;
            }

            lockFile.Dispose();
        }

        throw new InvalidOperationException($"No free loopback port between {FirstPort} and {LastPort} after 1000 attempts.");
    }

    private static FileStream? TryLock(int port)
    {
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: a second process is refused.
            return new FileStream(Path.Combine(s_directory, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
