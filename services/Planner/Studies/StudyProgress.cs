using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Planner.Persistence;

namespace RunMesh.Planner.Studies;

/// <summary>
/// What happens to a study as its runs end, or when it is cancelled, in the transaction of the message being handled
/// (the saga's, behind the Postgres inbox/outbox): the run's row and the study's counts and usage are updated, the
/// next planned runs are started (at most <see cref="StudyRecord.Parallelism"/> in flight), <c>failFast</c>, the budget
/// and a cancel stop the starting (and a fail-fast or cancel cancels the running runs), and once nothing runs and
/// nothing is left to start the study ends and publishes <see cref="StudyFinished"/>.
/// </summary>
public sealed partial class StudyProgress(PlannerDbContext db, TimeProvider clock, ILogger<StudyProgress> logger)
{
    /// <summary>Runs of the study ended: each is recorded, then the next runs start (once for all of them).</summary>
    public async Task RunsEndedAsync(StudyRecord study, IReadOnlyList<StudyRunEnded> ends, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(ends);
        var ids = ends.Select(e => e.RunId).Distinct().ToList();
        var runs = await db.StudyRuns
            .Where(r => r.StudyId == study.CorrelationId && ids.Contains(r.RunId))
            .ToDictionaryAsync(r => r.RunId, cancellationToken);
        var anyFailed = false;
        foreach (var end in ends)
        {
            if (!runs.TryGetValue(end.RunId, out var run) || run.State != StudyRunStates.Running)
            {
                LogIgnored(logger, end.RunId, study.CorrelationId, run?.State ?? "not planned");
                continue;
            }

            Record(study, run, end);
            anyFailed |= run.State == StudyRunStates.Failed;
        }

        if (study.StoppingAs is null && anyFailed && study.FailFast)
        {
            await StopAsync(study, StudyState.Failed, "failFast: a run failed", publish, cancellationToken);
        }

        await StartNextAsync(study, publish, cancellationToken);
    }

    /// <summary>Records the end of <paramref name="run"/>: its row, the study's counts and usage, and a <c>run.finished</c> event.</summary>
    private void Record(StudyRecord study, StudyRunRow run, StudyRunEnded message)
    {
        run.State = message.State switch
        {
            RunState.Completed => StudyRunStates.Completed,
            RunState.Cancelled => StudyRunStates.Cancelled,
            _ => StudyRunStates.Failed,
        };
        run.ErrorCode = message.ErrorCode;
        run.StartedAt = message.StartedAt ?? run.StartedAt;
        run.EndedAt = message.EndedAt;
        run.DurationMs = run.StartedAt is { } started ? (long)(message.EndedAt - started).TotalMilliseconds : null;
        run.InputTokens = message.Usage.InputTokens;
        run.OutputTokens = message.Usage.OutputTokens;
        run.CostUsd = message.Usage.CostUsd;
        run.FinalArtifactDigest = message.FinalArtifactDigest;

        study.Running--;
        switch (run.State)
        {
            case StudyRunStates.Completed:
                study.Completed++;
                break;
            case StudyRunStates.Cancelled:
                study.Cancelled++;
                break;
            default:
                study.Failed++;
                break;
        }

        study.InputTokens += run.InputTokens;
        study.OutputTokens += run.OutputTokens;
        study.CostUsd += run.CostUsd;
        Append(study, StudyEventTypes.RunFinished, new JsonObject
        {
            ["runId"] = run.RunId.ToString(),
            ["conditionId"] = run.ConditionId,
            ["replicate"] = run.Replicate,
            ["state"] = run.State,
            ["errorCode"] = run.ErrorCode,
            ["counts"] = CountsJson(study),
        });
    }

    /// <summary>A cancel of the study: no run starts any more, running runs are cancelled, and the study ends once they have.</summary>
    public async Task CancelAsync(StudyRecord study, CancelStudy message, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        if (study.EndedAt is not null || study.StoppingAs == StudyState.Cancelled)
        {
            return;
        }

        await StopAsync(study, StudyState.Cancelled, $"cancelled by {message.RequestedBy ?? "a client"}", publish, cancellationToken);
        await StartNextAsync(study, publish, cancellationToken);
    }

    /// <summary>
    /// Starts planned runs up to the study's parallelism (unless it is stopping), then ends the study if nothing runs
    /// and nothing is left to start.
    /// </summary>
    public async Task StartNextAsync(StudyRecord study, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        if (study.StoppingAs is null && BudgetSpent(study))
        {
            study.StoppingAs = StudyState.BudgetExhausted; // running runs finish; none starts
        }

        var free = study.Parallelism - study.Running;
        if (study.StoppingAs is null && free > 0 && study.Pending > 0)
        {
            var next = await db.StudyRuns
                .Where(r => r.StudyId == study.CorrelationId && r.State == StudyRunStates.Pending)
                .OrderBy(r => r.PlanIndex)
                .Take(free)
                .ToListAsync(cancellationToken);
            var now = clock.GetUtcNow();
            foreach (var run in next)
            {
                await publish.Publish(StudyRunStarts.Of(study, run), cancellationToken);
                run.State = StudyRunStates.Running;
                run.StartedAt = now;
                study.Pending--;
                study.Running++;
                Append(study, StudyEventTypes.RunStarted, new JsonObject
                {
                    ["runId"] = run.RunId.ToString(),
                    ["conditionId"] = run.ConditionId,
                    ["replicate"] = run.Replicate,
                    ["counts"] = CountsJson(study),
                });
            }
        }

        if (study.Running == 0 && (study.Pending == 0 || study.StoppingAs is not null))
        {
            await EndAsync(study, publish, cancellationToken);
        }
    }

    private async Task StopAsync(StudyRecord study, StudyState endAs, string reason, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        study.StoppingAs = endAs;
        var running = await db.StudyRuns
            .Where(r => r.StudyId == study.CorrelationId && r.State == StudyRunStates.Running)
            .Select(r => r.RunId)
            .ToListAsync(cancellationToken);
        foreach (var runId in running)
        {
            await publish.Publish(new CancelRun { RunId = runId, Reason = $"study {study.CorrelationId}: {reason}", RequestedBy = $"study {study.CorrelationId}" },
                cancellationToken);
        }
    }

    private async Task EndAsync(StudyRecord study, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var state = study.StoppingAs ?? (study.Failed + study.Cancelled > 0 ? StudyState.Failed : StudyState.Completed);
        study.State = state;
        study.StoppingAs = null;
        study.EndedAt = clock.GetUtcNow();
        Append(study, StudyEventTypes.Finished, new JsonObject { ["state"] = StudyStates.ToJson(state), ["counts"] = CountsJson(study) });
        await publish.Publish(new StudyFinished { StudyId = study.CorrelationId, State = state, Counts = study.Counts, Usage = study.Usage }, cancellationToken);
        LogFinished(logger, study.CorrelationId, state);
    }

    private static bool BudgetSpent(StudyRecord study) =>
        study.Budget is { } budget
        && ((budget.MaxCostUsd is { } cost && study.CostUsd >= cost)
            || (budget.MaxTokens is { } tokens && study.InputTokens + study.OutputTokens >= tokens));

    private void Append(StudyRecord study, string type, JsonObject payload)
    {
        study.EventSeq++;
        db.StudyEvents.Add(new StudyEventRow { StudyId = study.CorrelationId, Seq = study.EventSeq, Type = type, Payload = payload, At = clock.GetUtcNow() });
    }

    private static JsonObject CountsJson(StudyRecord study) => new()
    {
        ["pending"] = study.Pending,
        ["running"] = study.Running,
        ["completed"] = study.Completed,
        ["failed"] = study.Failed,
        ["cancelled"] = study.Cancelled,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "RunFinished of run {RunId} ignored by study {StudyId}: the run is {State}")]
    private static partial void LogIgnored(ILogger logger, Guid runId, Guid studyId, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "study {StudyId} finished {State}")]
    private static partial void LogFinished(ILogger logger, Guid studyId, StudyState state);
}

/// <summary>The wire spelling of <see cref="StudyState"/>.</summary>
public static class StudyStates
{
    public static string ToJson(StudyState state) => state switch
    {
        StudyState.Running => "running",
        StudyState.Completed => "completed",
        StudyState.Failed => "failed",
        StudyState.Cancelled => "cancelled",
        StudyState.BudgetExhausted => "budget_exhausted",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}
