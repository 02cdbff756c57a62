using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RunMesh.Cli.Output;

/// <summary>
/// <c>studies watch</c>: follows the study's event stream to its end — a progress bar (completed/failed counts, runs/s,
/// ETA) on a terminal, one plain line per event otherwise (NDJSON of the events with <c>--json</c>). The exit code is 0
/// when the study completed and 1 when it ended otherwise.
/// </summary>
internal static class StudyWatch
{
    public static async Task<int> WatchAsync(MeshClient client, string studyId, bool json, CancellationToken cancellationToken)
    {
        var path = $"/api/studies/{Uri.EscapeDataString(studyId)}";
        var study = (await client.GetAsync(path, cancellationToken)).Object;
        var planned = study["plannedRuns"]?.GetValue<int>() ?? 0;
        var follower = new EventStreamFollower(client, $"{path}/events/stream")
        {
            OnReconnect = last => Terminal.Error($"runmesh: the event stream dropped; reconnecting after event {last}"),
        };
        var rate = new FinishRate(Ended(study["counts"]));
        JsonObject? final = null;

        async Task<bool> IsFinished(CancellationToken token)
        {
            final = (await client.GetAsync(path, token)).Object;
            return final["endedAt"] is not null;
        }

        if (json || !Terminal.IsInteractive)
        {
            await follower.FollowAsync(
                e =>
                {
                    Terminal.Line(json ? e.Data : Line(e, planned, rate));
                    return Task.CompletedTask;
                },
                IsFinished, cancellationToken);
        }
        else
        {
            await AnsiConsole.Progress()
                .Columns(new LinesColumn(), new ProgressBarColumn { Width = 24 }, new PercentageColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask(Describe(study["counts"], planned, rate, lines: true), maxValue: Math.Max(planned, 1));
                    bar.Value = Ended(study["counts"]);
                    await follower.FollowAsync(
                        e =>
                        {
                            if (e.Json["payload"]?["counts"] is { } counts)
                            {
                                rate.Observe(Ended(counts));
                                bar.Value = Ended(counts);
                                bar.Description = Describe(counts, planned, rate, lines: true);
                            }

                            return Task.CompletedTask;
                        },
                        IsFinished, cancellationToken);
                    bar.Value = bar.MaxValue;
                });
        }

        var state = Terminal.Str(final?["state"]);
        if (!json)
        {
            Terminal.Line($"study {studyId} {state}: {Describe(final?["counts"], planned, rate)}");
        }

        return state == "completed" ? ExitCodes.Success : ExitCodes.NotCompleted;
    }

    private static string Line(StreamEvent e, int planned, FinishRate rate)
    {
        var payload = e.Json["payload"] as JsonObject ?? [];
        var counts = payload["counts"];
        if (counts is not null)
        {
            rate.Observe(Ended(counts));
        }

        var what = e.Type switch
        {
            "study.run_started" => $"run={Terminal.Str(payload["runId"])} condition={Terminal.Str(payload["conditionId"])} replicate={Terminal.Str(payload["replicate"])}",
            "study.run_finished" => $"run={Terminal.Str(payload["runId"])} state={Terminal.Str(payload["state"])}"
                + (payload["errorCode"] is { } code ? $" error={Terminal.Str(code)}" : ""),
            "study.finished" => $"state={Terminal.Str(payload["state"])}",
            _ => "",
        };
        return $"#{e.Id} {Terminal.When(e.Json["at"])} {e.Type} {what} | {Describe(counts, planned, rate)}";
    }

    /// <summary>
    /// <c>5/12 ended: 5 completed, 0 failed, 4 running; 1.2 runs/s, ETA 5.8 s</c> — on two lines beside the bar, so it
    /// fits an 80-column terminal.
    /// </summary>
    private static string Describe(JsonNode? counts, int planned, FinishRate rate, bool lines = false)
    {
        var completed = Count(counts, "completed");
        var failed = Count(counts, "failed") + Count(counts, "cancelled");
        var ended = Ended(counts);
        var perSecond = rate.PerSecond;
        var eta = perSecond > 0 && planned > ended
            ? Terminal.Duration(TimeSpan.FromSeconds((planned - ended) / perSecond))
            : "-";
        return string.Create(CultureInfo.InvariantCulture,
            $"{ended}/{planned} ended: {completed} completed, {failed} failed, {Count(counts, "running")} running{(lines ? " | " : "; ")}{perSecond:0.0} runs/s, ETA {eta}");
    }

    private static int Count(JsonNode? counts, string name) => counts?[name]?.GetValue<int>() ?? 0;

    private static int Ended(JsonNode? counts) => Count(counts, "completed") + Count(counts, "failed") + Count(counts, "cancelled");

    /// <summary>The task's description, its parts (split at " | ") on lines of their own.</summary>
    private sealed class LinesColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Rows(task.Description.Split(" | ").Select(line => new Text(line)));
    }

    /// <summary>Runs ended per second since the watch began.</summary>
    private sealed class FinishRate(int endedAtStart)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly int _start = endedAtStart;
        private int _ended = endedAtStart;

        public double PerSecond => _clock.Elapsed.TotalSeconds < 0.5 ? 0 : (_ended - _start) / _clock.Elapsed.TotalSeconds;

        public void Observe(int ended) => _ended = Math.Max(_ended, ended);
    }
}
