using System.Diagnostics;

namespace RunMesh.Testing.Infrastructure;

/// <summary>Waits on a condition with a timeout — the only way tests wait (never a fixed sleep).</summary>
public static class Eventually
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="condition"/> until it is true; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                last = ex;
            }

            await Task.Delay(s_poll);
        }

        var message = $"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}.";
        if (last is not null)
        {
            message += $" Last error: {last.GetType().Name}: {last.Message}";
        }

        if (diagnostics is not null)
        {
            message += Environment.NewLine + diagnostics();
        }

        throw new TimeoutException(message);
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value that satisfies <paramref name="accept"/>, and returns it.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> accept, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        T value = default!;
        await UntilAsync(async () => accept(value = await probe()), timeout, what, diagnostics);
        return value;
    }
}
