using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using Spectre.Console;

namespace RunMesh.Cli.Output;

/// <summary>
/// <c>runs watch</c> (and <c>runs start --watch</c>): follows the run's event stream to its end. On a terminal a live
/// table of phases; otherwise one plain line per event (NDJSON of the events with <c>--json</c>). Gates are decided as
/// <see cref="GateApprovals"/> says. The exit code is 0 when the run completed and 1 when it ended otherwise.
/// </summary>
internal static class RunWatch
{
    /// <summary>The run states after which nothing more happens unless the run is retried.</summary>
    public static readonly IReadOnlySet<string> TerminalStates = new HashSet<string> { "completed", "failed", "aborted", "cancelled" };

    public static async Task<int> WatchAsync(MeshClient client, string runId, bool json, GateApprovals? gates, CancellationToken cancellationToken)
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
                async e =>
                {
                    if (json)
                    {
                        Terminal.Json(e.Data);
                    }
                    else
                    {
                        Terminal.Line(RunProgress.Line(e));
                    }

                    if (gates is { Handling: GateHandling.Approve } && e.Type == "approval.requested"
                        && await gates.PendingAsync(e, cancellationToken) is { } request)
                    {
                        await gates.DecideAsync(request, "approve", null, cancellationToken);
                    }
                },
                IsFinished, cancellationToken);
        }
        else
        {
            await LiveAsync(new RunProgress(run), follower, IsFinished, gates, cancellationToken);
        }

        if (gates?.Note is { } note)
        {
            Terminal.Error(note);
        }

        var state = Terminal.Str(final?["state"]);
        if (!json)
        {
            var error = final?["error"] is JsonObject e ? $" ({Terminal.Str(e["code"])}: {Terminal.Str(e["message"])})" : "";
            Terminal.Line($"run {Terminal.Str(final?["runId"])} {state}{error}");
        }

        return state == "completed" ? ExitCodes.Success : ExitCodes.NotCompleted;
    }

    /// <summary>
    /// The live table, redrawn on every event and once a second. A prompt cannot share the screen with a live display,
    /// so a gate to be asked about ends the display; after the answer a new one follows on from the next event.
    /// </summary>
    private static async Task LiveAsync(
        RunProgress progress, EventStreamFollower follower, Func<CancellationToken, Task<bool>> isFinished, GateApprovals? gates,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            JsonObject? ask = null;
            using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await AnsiConsole.Live(progress.Render()).AutoClear(false).StartAsync(async live =>
            {
                void Redraw()
                {
                    lock (progress)
                    {
                        live.UpdateTarget(progress.Render());
                    }
                }

                using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1));
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var clock = Task.Run(async () =>
                {
                    // Running phases' durations move between events.
                    try
                    {
                        while (await ticker.WaitForNextTickAsync(stop.Token))
                        {
                            Redraw();
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }, CancellationToken.None);
                try
                {
                    await follower.FollowAsync(
                        async e =>
                        {
                            lock (progress)
                            {
                                progress.Apply(e);
                            }

                            Redraw();
                            if (gates is null || e.Type != "approval.requested" || await gates.PendingAsync(e, pause.Token) is not { } request)
                            {
                                return;
                            }

                            if (gates.Handling == GateHandling.Approve)
                            {
                                await gates.DecideAsync(request, "approve", null, pause.Token);
                            }
                            else
                            {
                                ask = request;
                                await pause.CancelAsync();
                            }
                        },
                        isFinished, pause.Token);
                }
                catch (OperationCanceledException) when (ask is not null && !cancellationToken.IsCancellationRequested)
                {
                    // Paused for the prompt below; the follower resumes after the last event it handed out.
                }
                finally
                {
                    await stop.CancelAsync();
                    await clock;
                    Redraw();
                }
            });

            if (ask is null)
            {
                return;
            }

            await gates!.PromptAsync(ask, cancellationToken);
        }
    }
}
