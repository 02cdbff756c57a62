using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using Spectre.Console;

namespace RunMesh.Cli.Output;

/// <summary>
/// <c>runs watch</c> (and <c>runs start --watch</c>): follows the run's event stream to its end. On a terminal a live
/// table of phases; otherwise one plain line per event (NDJSON of the events with <c>--json</c>). The exit code is 0 when
/// the run completed and 1 when it ended otherwise.
/// </summary>
internal static class RunWatch
{
    /// <summary>The run states after which nothing more happens unless the run is retried.</summary>
    public static readonly IReadOnlySet<string> TerminalStates = new HashSet<string> { "completed", "failed", "aborted", "cancelled" };

    public static async Task<int> WatchAsync(MeshClient client, string runId, bool json, CancellationToken cancellationToken)
    {
        var escaped = Uri.EscapeDataString(runId);
        var run = (await client.GetAsync($"/api/runs/{escaped}", cancellationToken)).Object;
        var follower = new EventStreamFollower(client, $"/api/runs/{escaped}/events/stream")
        {
            OnReconnect = last => Terminal.Error($"runmesh: the event stream dropped; reconnecting after event {last}"),
        };
        JsonObject? final = null;

        async Task<bool> IsFinished(CancellationToken token)
        {
            final = (await client.GetAsync($"/api/runs/{escaped}", token)).Object;
            return TerminalStates.Contains(Terminal.Str(final["state"]));
        }

        if (json || !Terminal.IsInteractive)
        {
            await follower.FollowAsync(
                e =>
                {
                    if (json)
                    {
                        Terminal.Json(e.Data);
                    }
                    else
                    {
                        Terminal.Line(RunProgress.Line(e));
                    }

                    return Task.CompletedTask;
                },
                IsFinished, cancellationToken);
        }
        else
        {
            var progress = new RunProgress(run);
            await AnsiConsole.Live(progress.Render()).AutoClear(false).StartAsync(async live =>
            {
                using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1));
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var clock = Task.Run(async () =>
                {
                    // Redraws once a second so running phases' durations move.
                    try
                    {
                        while (await ticker.WaitForNextTickAsync(stop.Token))
                        {
                            lock (progress)
                            {
                                live.UpdateTarget(progress.Render());
                            }
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }, CancellationToken.None);
                try
                {
                    await follower.FollowAsync(
                        e =>
                        {
                            lock (progress)
                            {
                                progress.Apply(e);
                                live.UpdateTarget(progress.Render());
                            }

                            return Task.CompletedTask;
                        },
                        IsFinished, cancellationToken);
                }
                finally
                {
                    await stop.CancelAsync();
                    await clock;
                    lock (progress)
                    {
                        live.UpdateTarget(progress.Render());
                    }
                }
            });
        }

        var state = Terminal.Str(final?["state"]);
        if (!json)
        {
            var error = final?["error"] is JsonObject e ? $" ({Terminal.Str(e["code"])}: {Terminal.Str(e["message"])})" : "";
            Terminal.Line($"run {Terminal.Str(final?["runId"])} {state}{error}");
        }

        return state == "completed" ? ExitCodes.Success : ExitCodes.NotCompleted;
    }
}
