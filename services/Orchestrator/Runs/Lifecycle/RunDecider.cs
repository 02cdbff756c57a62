using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs.Children;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>
/// The run lifecycle (docs/run-lifecycle.md) as one decision per input: given the run, one input and the time, what happens —
/// dispatching attempts, accepting results, repairs and retries, gates, budget, cancel, timeout, retry of a failed run
/// and the end of a run. It reads nothing and writes nothing but the run row it is given: every other effect (events,
/// artifacts, deadlines, messages, <see cref="RunFinished"/>) is listed in the <see cref="RunDecision"/> for
/// <see cref="RunEffects"/> to write. What it needs from the database is loaded before (see <see cref="RunInput"/>).
/// Which input may move the run from which state, and where each outcome leads, is <see cref="RunTransitions"/>; an
/// input a state does not move on is recorded as <c>message.ignored</c>.
/// </summary>
public sealed partial class RunDecider
{
    private readonly List<RunEffect> _effects = [];
    private readonly OrchestratorOptions _options;
    private readonly RunState _from;
    private RunOutcome? _outcome;

    private RunDecider(RunRecord run, RunInput input, OrchestratorOptions options, DateTimeOffset now)
    {
        Run = run;
        Input = input;
        _options = options;
        _from = run.State;
        Now = now;
    }

    private RunRecord Run { get; }

    private RunInput Input { get; }

    private DateTimeOffset Now { get; }

    /// <summary>Decides what <paramref name="input"/> does to <paramref name="run"/> at <paramref name="now"/>.</summary>
    public static RunDecision Decide(RunRecord run, RunInput input, OrchestratorOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var decider = new RunDecider(run, input, options, now);
        decider.Apply();
        var to = decider._outcome is { } outcome ? RunTransitions.TargetOf(outcome) : decider._from;
        return new RunDecision(decider._from, to, decider._outcome, decider._effects);
    }

    private void Apply()
    {
        if (!RunTransitions.Moves(_from, Input.Message.GetType()))
        {
            IgnoreInState();
            return;
        }

        switch (Input.Message)
        {
            case StartRun start:
                Start(start);
                break;
            case PhaseSucceeded succeeded:
                AcceptResult(succeeded);
                break;
            case PhaseAttemptFailed failed:
                RecordFailure(failed);
                break;
            case PhaseTimedOut timedOut:
                RecordTimeout(timedOut);
                break;
            case RetryBackoffElapsed elapsed:
                DispatchRetry(elapsed);
                break;
            case ApprovalDecided decided:
                ApplyDecision(decided);
                break;
            case CancelRun cancel:
                Cancel(cancel);
                break;
            case RunTimedOut timedOut:
                TimeOut(timedOut);
                break;
            case RetryRun retry:
                Retry(retry);
                break;
            case ChildRunsFinished children:
                ChildrenFinished(children);
                break;
            default:
                throw new ArgumentException($"{Input.Message.GetType().Name} is no input of the run lifecycle.", nameof(Input));
        }
    }

    /// <summary>A message the run's state does not move on: recorded, otherwise ignored (docs/run-lifecycle.md step 4).</summary>
    private void IgnoreInState()
    {
        var reason = $"the run is {RunStates.ToJson(Run.State)}";
        switch (Input.Message)
        {
            case ApprovalDecided decided:
                IgnoreDecision(decided, reason);
                break;
            case PhaseSucceeded m:
                Ignore(reason, m.PhaseKey, m.Attempt, m.ExecutionId);
                break;
            case PhaseAttemptFailed m:
                Ignore(reason, m.PhaseKey, m.Attempt, m.ExecutionId);
                break;
            case PhaseTimedOut m:
                Ignore(reason, m.PhaseKey, m.Attempt, m.ExecutionId);
                break;
            case RetryBackoffElapsed m:
                Ignore(reason, m.PhaseKey, m.Attempt);
                break;
            case ChildRunsFinished m:
                foreach (var child in m.Children)
                {
                    Ignore(reason, details: new JsonObject { ["childRunId"] = child.ChildRunId.ToString(), ["childState"] = RunStates.ToJson(child.State) },
                        part: child.ChildRunId.ToString());
                }

                break;
            default:
                Ignore(reason);
                break;
        }
    }

    /// <summary>A message for an attempt, approval or timer the run no longer waits on: recorded, otherwise ignored.</summary>
    /// <remarks>
    /// <paramref name="part"/> names what was ignored when one message carries several things (the children of a
    /// <see cref="ChildRunsFinished"/>), so each is recorded under an idempotency key of its own.
    /// </remarks>
    private void Ignore(
        string reason, string? phaseKey = null, int? attempt = null, Guid? executionId = null, JsonObject? details = null, string? part = null)
    {
        var payload = new JsonObject
        {
            ["messageType"] = Input.Message.GetType().Name,
            ["reason"] = reason,
            ["state"] = RunStates.ToJson(Run.State),
            ["phaseKey"] = phaseKey,
            ["attempt"] = attempt,
            ["executionId"] = executionId?.ToString(),
        };
        foreach (var (name, value) in details ?? [])
        {
            payload[name] = value?.DeepClone();
        }

        var key = Input.MessageId is { } messageId ? $"ignored:{messageId}" : $"ignored:at:{Run.EventSeq}.{_effects.Count}";
        Record(RunEventTypes.MessageIgnored, payload, part is null ? key : $"{key}:{part}");
    }

    /// <summary>
    /// An <see cref="ApprovalDecided"/> the run does not wait on (another request, attempt or artifact digest, or a run
    /// that is not awaiting approval): recorded with who decided what on which digest, so the log shows what was ignored.
    /// </summary>
    private void IgnoreDecision(ApprovalDecided message, string reason) =>
        Ignore(reason, message.PhaseKey, message.Attempt, details: new JsonObject
        {
            ["requestId"] = message.RequestId.ToString(),
            ["gate"] = message.Gate,
            ["action"] = RunJson.WireName(message.Action),
            ["decidedBy"] = message.DecidedBy,
            ["artifactDigest"] = message.ArtifactDigest,
        });

    /// <summary>Where the run goes: one of the outcomes <see cref="RunTransitions"/> lists (checked by the decider's tests).</summary>
    private void Decide(RunOutcome outcome) => _outcome = outcome;

    private void Record(string type, JsonObject payload, string idempotencyKey) =>
        _effects.Add(new RunEffect.AppendEvent(type, payload, idempotencyKey));

    private void Effect(RunEffect effect) => _effects.Add(effect);

    private void Publish(object message) => _effects.Add(new RunEffect.Publish(message));

    private AttemptRecord? OpenAttempt(string phaseKey, int attempt, Guid executionId) =>
        Run.StartedAt is not null && Run.CurrentPhase.Key == phaseKey && Run.CurrentPhase.OpenAttempt is { } open
        && open.Attempt == attempt && open.ExecutionId == executionId
            ? open
            : null;

    private void AddUsage(Usage usage) => Run.Usage = new Usage
    {
        InputTokens = Run.Usage.InputTokens + usage.InputTokens,
        OutputTokens = Run.Usage.OutputTokens + usage.OutputTokens,
        CostUsd = Run.Usage.CostUsd + usage.CostUsd,
    };

    private string? BudgetExceeded()
    {
        if (Run.Definition.Budget is not { } budget)
        {
            return null;
        }

        if (budget.MaxCostUsd is { } maxCost && Run.Usage.CostUsd > maxCost)
        {
            return $"The run spent {Run.Usage.CostUsd} USD; its budget is {maxCost} USD.";
        }

        var tokens = Run.Usage.InputTokens + Run.Usage.OutputTokens;
        return budget.MaxTokens is { } maxTokens && tokens > maxTokens
            ? $"The run used {tokens} tokens; its budget is {maxTokens}."
            : null;
    }

    private Budget? Remaining() => Run.Definition.Budget is not { } budget
        ? null
        : new Budget
        {
            MaxCostUsd = budget.MaxCostUsd is { } cost ? Math.Max(0, cost - Run.Usage.CostUsd) : null,
            MaxTokens = budget.MaxTokens is { } tokens ? Math.Max(0, tokens - Run.Usage.InputTokens - Run.Usage.OutputTokens) : null,
        };

    private static JsonObject UsageJson(Usage usage) => new()
    {
        ["inputTokens"] = usage.InputTokens,
        ["outputTokens"] = usage.OutputTokens,
        ["costUsd"] = usage.CostUsd,
    };
}
