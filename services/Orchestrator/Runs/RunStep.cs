using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Templates;
using ContractRunState = RunMesh.Contracts.RunState;

namespace RunMesh.Orchestrator.Runs;

/// <summary>
/// The run lifecycle's decisions and effects for one message applied to one run (DESIGN.md "Run lifecycle"):
/// dispatching attempts, accepting results, repairs and retries, gates, budget, cancel, retry and the end of a run.
/// Everything it writes — the run row, events, artifacts, deadlines and outgoing messages — commits in the
/// transaction of the message being consumed. It sets <see cref="RunRecord.Target"/>; the state machine moves there.
/// </summary>
internal sealed partial class RunStep
{
    private const int LastEventsInRunFinished = 20;

    private readonly IPublishEndpoint _bus;
    private readonly CancellationToken _cancellationToken;
    private readonly IRunJournal _journal;
    private readonly OrchestratorOptions _options;
    private readonly ILogger _logger;
    private readonly string _fromState;
    private readonly string _eventName;

    private RunStep(
        RunRecord run, IPublishEndpoint bus, IRunJournal journal, OrchestratorOptions options, ILogger logger, DateTimeOffset now,
        string eventName, CancellationToken cancellationToken)
    {
        Run = run;
        _fromState = run.CurrentState;
        _eventName = eventName;
        _bus = bus;
        _cancellationToken = cancellationToken;
        _journal = journal;
        _options = options;
        _logger = logger;
        Now = now;
    }

    public RunRecord Run { get; }

    public DateTimeOffset Now { get; }

    public static RunStep For<TMessage>(BehaviorContext<RunRecord, TMessage> context)
        where TMessage : class
    {
        var clock = context.GetServiceOrCreateInstance<TimeProvider>();
        var options = context.GetServiceOrCreateInstance<IOptions<OrchestratorOptions>>().Value;
        var journal = context.GetServiceOrCreateInstance<IRunJournal>();
        var logger = context.GetServiceOrCreateInstance<ILogger<RunStep>>();
        context.Saga.Target = null;
        return new RunStep(context.Saga, context, journal, options, logger, clock.GetUtcNow(), context.Event.Name, context.CancellationToken);
    }

    /// <summary>
    /// The step admission takes for a run it has just created (still <c>Pending</c>), in its own transaction: the same
    /// decisions the state machine makes for <see cref="RunStateMachine.Admitted"/>, without a message to itself.
    /// </summary>
    public static RunStep ForAdmission(
        RunRecord run, IPublishEndpoint publish, IRunJournal journal, OrchestratorOptions options, ILogger logger, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        run.Target = null;
        return new RunStep(run, publish, journal, options, logger, now, nameof(RunStateMachine.Admitted), cancellationToken);
    }

    // ---- starting and dispatching ------------------------------------------------------------------------------

    public async Task StartAsync()
    {
        Run.StartedAt = Now;
        Record(RunEventTypes.RunStarted, new JsonObject { ["generation"] = Run.Generation + 1 }, $"started:{Run.Generation + 1}");
        await _journal.SetDeadlineAsync(new RunDeadlineEntry(Run.CorrelationId, DeadlineKind.Run, Now.AddSeconds(Run.Definition.TimeoutSeconds), Generation: Run.Generation + 1), _cancellationToken);
        await DispatchAsync(Run.CurrentPhase.LastAttempt + 1, feedback: null, RunOutcome.PhaseDispatched);
    }

    /// <summary>Sends the current phase's next attempt to the workers (after the budget check).</summary>
    private async Task DispatchAsync(int attempt, IReadOnlyList<string>? feedback, RunOutcome dispatched)
    {
        var phase = Run.CurrentPhase;
        var plan = Run.CurrentPlan;
        if (BudgetExceeded() is { } overBudget)
        {
            await FailAsync(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, phase.Key);
            return;
        }

        var outputs = Run.Outputs.ToDictionary(o => o.Key, o => o.Value);
        var rendered = InstructionRenderer.Render(plan.Instructions, Run.Definition.Inputs, outputs);
        if (rendered.Rendered is not { } instructions)
        {
            await FailAsync(RunOutcome.InstructionsUnrenderable, RunErrorCodes.InstructionsUnrenderable,
                $"The instructions reference values that do not exist: {string.Join(", ", rendered.MissingReferences)}.", phase.Key);
            return;
        }

        var size = Encoding.UTF8.GetByteCount(instructions.Text);
        if (size > _options.MaxRenderedInstructionsBytes)
        {
            await FailAsync(RunOutcome.InstructionsTooLarge, ErrorCodes.InstructionsTooLarge,
                $"Not sent: {InstructionSize.TooLarge(phase.Key, size, _options.MaxRenderedInstructionsBytes)}.", phase.Key);
            return;
        }

        var executionId = NewId.NextGuid();
        var deadline = Now.AddSeconds(_options.ScheduleToStartSeconds + plan.TimeoutSeconds);
        phase.State = PhaseState.Running;
        phase.StartedAt ??= Now;
        phase.InstructionsDigest = Digest.Sha256(Encoding.UTF8.GetBytes(instructions.Text));
        phase.Attempts.Add(new AttemptRecord { Attempt = attempt, ExecutionId = executionId, DispatchedAt = Now, DeadlineAt = deadline });

        await _bus.Publish(new ExecutePhase
        {
            RunId = Run.CorrelationId,
            PhaseKey = phase.Key,
            Attempt = attempt,
            ExecutionId = executionId,
            Executor = plan.Executor,
            ExecutorSettings = plan.Settings.DeepClone().AsObject(),
            Instructions = instructions.Text,
            Inputs = Run.Definition.Inputs.DeepClone().AsObject(),
            ReferencedOutputs = instructions.ReferencedOutputs,
            ArtifactSchema = plan.ArtifactSchema.DeepClone().AsObject(),
            TimeoutSeconds = plan.TimeoutSeconds,
            Model = Run.Definition.Model.DeepClone().AsObject(),
            RepairFeedback = feedback,
            BudgetRemaining = Remaining(),
        }, _cancellationToken);
        await _journal.SetDeadlineAsync(new RunDeadlineEntry(Run.CorrelationId, DeadlineKind.Attempt, deadline, phase.Key, attempt, executionId), _cancellationToken);
        Record(RunEventTypes.PhaseDispatched, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = attempt,
            ["executionId"] = executionId.ToString(),
            ["repair"] = feedback is not null,
            ["deadlineAt"] = deadline,
        }, $"dispatch:{executionId}");
        Decide(dispatched);
    }

    public async Task DispatchRetryAsync(RetryBackoffElapsed message, Guid? messageId)
    {
        if (Run.Retry is not { } retry || retry.PhaseKey != message.PhaseKey || retry.NextAttempt != message.Attempt)
        {
            Ignore(nameof(RetryBackoffElapsed), "no retry of this attempt is waiting", messageId, message.PhaseKey, message.Attempt);
            return;
        }

        Run.Retry = null;
        await DispatchAsync(retry.NextAttempt, feedback: null, RunOutcome.RetryDispatched);
    }

    // ---- results -----------------------------------------------------------------------------------------------

    public async Task AcceptResultAsync(PhaseSucceeded message, Guid? messageId)
    {
        if (OpenAttempt(message.PhaseKey, message.Attempt, message.ExecutionId) is not { } attempt)
        {
            Ignore(nameof(PhaseSucceeded), "not the attempt the run waits on", messageId, message.PhaseKey, message.Attempt, message.ExecutionId);
            return;
        }

        // The artifact crossed a broker and a worker: re-verify the digest it claims before trusting it.
        var digest = Digest.Of(message.Artifact);
        if (digest != message.ArtifactDigest)
        {
            await CloseFailedAttemptAsync(attempt, FailureKind.ExecutorError, AttemptOutcome.ExecutorError,
                [$"artifact digest mismatch: the worker said {message.ArtifactDigest}, the artifact is {digest}"],
                message.Artifact, message.Usage, message.StartedAt, message.EndedAt);
            return;
        }

        var phase = Run.CurrentPhase;
        attempt.Outcome = AttemptOutcome.Succeeded;
        attempt.StartedAt = message.StartedAt;
        attempt.EndedAt = message.EndedAt;
        attempt.Usage = message.Usage;
        attempt.ArtifactDigest = digest;
        AddUsage(message.Usage);
        phase.ArtifactDigest = digest;
        Run.Outputs[phase.Key] = message.Artifact.DeepClone();
        await _journal.StoreArtifactAsync(Run.CorrelationId, phase.Key, attempt.Attempt, message.Artifact, digest, accepted: true, _cancellationToken);
        await _journal.ClearDeadlineAsync(Run.CorrelationId, DeadlineKind.Attempt, _cancellationToken);
        Record(RunEventTypes.PhaseSucceeded, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = attempt.Attempt,
            ["executionId"] = attempt.ExecutionId.ToString(),
            ["artifactDigest"] = digest,
            ["usage"] = UsageJson(message.Usage),
            ["workerId"] = message.WorkerId,
        }, $"result:{attempt.ExecutionId}");

        if (BudgetExceeded() is { } overBudget)
        {
            await FailAsync(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, phase.Key);
            return;
        }

        await AfterPhaseAcceptedAsync();
    }

    public Task RecordFailureAsync(PhaseAttemptFailed message, Guid? messageId)
    {
        if (OpenAttempt(message.PhaseKey, message.Attempt, message.ExecutionId) is not { } attempt)
        {
            Ignore(nameof(PhaseAttemptFailed), "not the attempt the run waits on", messageId, message.PhaseKey, message.Attempt, message.ExecutionId);
            return Task.CompletedTask;
        }

        var outcome = message.Kind switch
        {
            FailureKind.InvalidArtifact => AttemptOutcome.InvalidArtifact,
            FailureKind.Timeout => AttemptOutcome.Timeout,
            _ => AttemptOutcome.ExecutorError,
        };
        return CloseFailedAttemptAsync(attempt, message.Kind, outcome, message.Errors, message.Artifact, message.Usage, message.StartedAt, message.EndedAt);
    }

    public async Task RecordTimeoutAsync(PhaseTimedOut message, Guid? messageId)
    {
        if (OpenAttempt(message.PhaseKey, message.Attempt, message.ExecutionId) is not { } attempt)
        {
            Ignore(nameof(PhaseTimedOut), "not the attempt the run waits on", messageId, message.PhaseKey, message.Attempt, message.ExecutionId);
            return;
        }

        // A worker may still be busy with it: tell it to stop. Its late result will be ignored.
        await _bus.Publish(new CancelPhase { RunId = Run.CorrelationId, ExecutionId = attempt.ExecutionId }, _cancellationToken);
        Record(RunEventTypes.PhaseTimedOut, new JsonObject
        {
            ["phaseKey"] = message.PhaseKey,
            ["attempt"] = message.Attempt,
            ["executionId"] = message.ExecutionId.ToString(),
        }, $"timeout:{message.ExecutionId}");
        await CloseFailedAttemptAsync(attempt, FailureKind.Timeout, AttemptOutcome.Timeout,
            ["no result before the attempt's deadline"], artifact: null, new Usage(), attempt.DispatchedAt, Now);
    }

    private async Task CloseFailedAttemptAsync(
        AttemptRecord attempt, FailureKind kind, AttemptOutcome outcome, IReadOnlyList<string> errors, JsonNode? artifact,
        Usage usage, DateTimeOffset startedAt, DateTimeOffset endedAt)
    {
        var phase = Run.CurrentPhase;
        attempt.Outcome = outcome;
        attempt.ErrorKind = kind;
        attempt.Errors = errors.Take(50).ToList();
        attempt.StartedAt = startedAt;
        attempt.EndedAt = endedAt;
        attempt.Usage = usage;
        AddUsage(usage);
        if (artifact is not null)
        {
            // Kept for provenance: GET …/artifacts/{phase}?attempt=N shows what the attempt produced.
            attempt.ArtifactDigest = Digest.Of(artifact);
            await _journal.StoreArtifactAsync(Run.CorrelationId, phase.Key, attempt.Attempt, artifact, attempt.ArtifactDigest, accepted: false, _cancellationToken);
        }

        await _journal.ClearDeadlineAsync(Run.CorrelationId, DeadlineKind.Attempt, _cancellationToken);
        Record(RunEventTypes.PhaseAttemptFailed, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = attempt.Attempt,
            ["executionId"] = attempt.ExecutionId.ToString(),
            ["kind"] = RunJson.WireName(kind),
            ["errors"] = new JsonArray(attempt.Errors.Select(e => (JsonNode?)e).ToArray()),
            ["usage"] = UsageJson(usage),
        }, $"result:{attempt.ExecutionId}");

        if (BudgetExceeded() is { } overBudget)
        {
            await FailAsync(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, phase.Key);
            return;
        }

        var plan = Run.CurrentPlan;
        if (kind == FailureKind.InvalidArtifact)
        {
            // Repair attempts are counted apart from retries: each invalid artifact may be repaired RepairAttempts times.
            if (phase.CountSinceAllowance(AttemptOutcome.InvalidArtifact) <= plan.RepairAttempts)
            {
                await DispatchAsync(phase.LastAttempt + 1, feedback: attempt.Errors, RunOutcome.RepairDispatched);
                return;
            }

            await FailAsync(RunOutcome.RepairsUsedUp, ErrorCodes.ArtifactInvalidAfterRepair,
                $"Phase '{phase.Key}' produced an invalid artifact after {plan.RepairAttempts} repair attempt(s).", phase.Key);
            return;
        }

        var failures = phase.CountSinceAllowance(AttemptOutcome.ExecutorError, AttemptOutcome.Timeout);
        if (failures < plan.MaxAttempts)
        {
            var delay = TimeSpan.FromSeconds(plan.BackoffSeconds * Math.Pow(plan.BackoffMultiplier, failures - 1));
            var retry = new PendingRetry(phase.Key, phase.LastAttempt + 1, Now + delay);
            Run.Retry = retry;
            await _journal.SetDeadlineAsync(new RunDeadlineEntry(Run.CorrelationId, DeadlineKind.Backoff, retry.DueAt, phase.Key, retry.NextAttempt), _cancellationToken);
            Record(RunEventTypes.PhaseRetryScheduled, new JsonObject
            {
                ["phaseKey"] = phase.Key,
                ["attempt"] = retry.NextAttempt,
                ["dueAt"] = retry.DueAt,
                ["backoffSeconds"] = delay.TotalSeconds,
            }, $"retry:{phase.Key}:{retry.NextAttempt}");
            Decide(RunOutcome.RetryScheduled);
            return;
        }

        var code = kind == FailureKind.Timeout ? ErrorCodes.PhaseTimeout : ErrorCodes.ExecutorError;
        await FailAsync(RunOutcome.RetriesUsedUp, code, $"Phase '{phase.Key}' failed {failures} time(s): {string.Join("; ", attempt.Errors.Take(3))}", phase.Key);
    }

    // ---- gates -------------------------------------------------------------------------------------------------

    private async Task AfterPhaseAcceptedAsync()
    {
        var phase = Run.CurrentPhase;
        var gates = Run.CurrentPlan.Gates;
        if (phase.GateIndex < gates.Count)
        {
            await RequestApprovalAsync(gates[phase.GateIndex]);
            return;
        }

        phase.State = PhaseState.Completed;
        phase.EndedAt = Now;
        if (Run.PhaseIndex == Run.Phases.Count - 1)
        {
            await FinishAsync(RunOutcome.LastPhaseAccepted, error: null);
            return;
        }

        Run.PhaseIndex++;
        await DispatchAsync(Run.CurrentPhase.LastAttempt + 1, feedback: null, RunOutcome.PhaseDispatched);
    }

    private async Task RequestApprovalAsync(GatePlan gate)
    {
        var phase = Run.CurrentPhase;
        var attempt = phase.Attempts[^1];
        var requestId = NewId.NextGuid();
        var digest = phase.ArtifactDigest!;
        Run.Approval = new PendingApproval(requestId, phase.Key, attempt.Attempt, gate.Name, digest);
        phase.State = PhaseState.AwaitingApproval;
        var expiresAt = gate.ExpiresAfterSeconds is { } seconds ? Now.AddSeconds(seconds) : (DateTimeOffset?)null;

        await _bus.Publish(new ApprovalRequested
        {
            RequestId = requestId,
            RunId = Run.CorrelationId,
            Generation = Run.Generation + 1,
            PhaseKey = phase.Key,
            Attempt = attempt.Attempt,
            Gate = gate.Name,
            ArtifactDigest = digest,
            ArtifactPreview = RunJson.Preview(Run.Outputs[phase.Key], _options.ApprovalPreviewCharacters),
            ExpiresAt = expiresAt,
            IdempotencyKey = $"{Run.CorrelationId}:{phase.Key}:{attempt.Attempt}:{gate.Name}",
        }, _cancellationToken);
        Record(RunEventTypes.ApprovalRequested, new JsonObject
        {
            ["requestId"] = requestId.ToString(),
            ["phaseKey"] = phase.Key,
            ["attempt"] = attempt.Attempt,
            ["gate"] = gate.Name,
            ["artifactDigest"] = digest,
            ["expiresAt"] = expiresAt,
        }, $"approval:{phase.Key}:{attempt.Attempt}:{gate.Name}");
        Decide(RunOutcome.ApprovalRequested);
    }

    public async Task ApplyDecisionAsync(ApprovalDecided message, Guid? messageId)
    {
        if (Run.Approval is not { } waiting || waiting.RequestId != message.RequestId || waiting.Attempt != message.Attempt
            || waiting.PhaseKey != message.PhaseKey || waiting.ArtifactDigest != message.ArtifactDigest)
        {
            IgnoreDecision(message, "not the approval the run waits on", messageId);
            return;
        }

        Run.Approval = null;
        Record(RunEventTypes.ApprovalDecided, new JsonObject
        {
            ["requestId"] = message.RequestId.ToString(),
            ["phaseKey"] = message.PhaseKey,
            ["attempt"] = message.Attempt,
            ["gate"] = message.Gate,
            ["action"] = RunJson.WireName(message.Action),
            ["decidedBy"] = message.DecidedBy,
            ["comment"] = message.Comment,
        }, $"decision:{message.RequestId}");

        switch (message.Action)
        {
            case ApprovalAction.Approve:
                Run.CurrentPhase.GateIndex++;
                Run.CurrentPhase.State = PhaseState.Running;
                await AfterPhaseAcceptedAsync();
                break;
            case ApprovalAction.Abort:
                await FinishAsync(RunOutcome.ApprovalAborted, new RunError
                {
                    Code = ErrorCodes.ApprovalAborted,
                    Message = $"Gate '{message.Gate}' was aborted by {message.DecidedBy ?? "an approver"}.",
                    PhaseKey = message.PhaseKey,
                });
                break;
            case ApprovalAction.Expire:
                await FailAsync(RunOutcome.ApprovalExpired, ErrorCodes.ApprovalExpired, $"Gate '{message.Gate}' expired before anyone decided.", message.PhaseKey);
                break;
            default:
                await FailAsync(RunOutcome.ApprovalRejected, ErrorCodes.ApprovalRejected,
                    $"Gate '{message.Gate}' was rejected by {message.DecidedBy ?? "an approver"}.", message.PhaseKey);
                break;
        }
    }

    // ---- cancel, timeout, retry ------------------------------------------------------------------------------

    public async Task CancelAsync(CancelRun message)
    {
        await StopOpenAttemptAsync(AttemptOutcome.Cancelled);
        await FinishAsync(RunOutcome.Cancelled, new RunError
        {
            Code = RunErrorCodes.RunCancelled,
            Message = string.IsNullOrWhiteSpace(message.Reason) ? $"Cancelled by {message.RequestedBy ?? "a client"}." : message.Reason,
            PhaseKey = Run.StartedAt is null ? null : Run.CurrentPhase.Key,
        });
    }

    public async Task TimeOutAsync(RunTimedOut message, Guid? messageId)
    {
        if (message.Generation != Run.Generation + 1)
        {
            Ignore(nameof(RunTimedOut), "the deadline of an earlier generation", messageId);
            return;
        }

        await StopOpenAttemptAsync(AttemptOutcome.Timeout);
        await FailAsync(RunOutcome.RunTimedOut, ErrorCodes.RunTimeout, $"The run did not finish within {Run.Definition.TimeoutSeconds} s.",
            Run.StartedAt is null ? null : Run.CurrentPhase.Key);
    }

    public async Task RetryAsync(RetryRun message, Guid? messageId)
    {
        if (!await _journal.ClaimInputBundleAsync(Run.Definition.InputBundleHash, Run.CorrelationId, _cancellationToken))
        {
            Ignore(nameof(RetryRun), "an identical run holds the input bundle meanwhile (run_not_retryable)", messageId);
            return;
        }

        Run.Error = null;
        Run.EndedAt = null;
        Run.Approval = null;
        var phase = Run.CurrentPhase;
        phase.State = PhaseState.Pending;
        phase.EndedAt = null;
        phase.GateIndex = 0;
        // Fresh repair and retry allowances; attempt numbers keep counting so the log shows every attempt.
        phase.AllowanceStart = phase.LastAttempt + 1;
        Record(RunEventTypes.RunRetried, new JsonObject
        {
            ["generation"] = Run.Generation + 1,
            ["phaseKey"] = phase.Key,
            ["requestedBy"] = message.RequestedBy,
        }, $"retried:{Run.Generation}");
        await _journal.SetDeadlineAsync(new RunDeadlineEntry(Run.CorrelationId, DeadlineKind.Run, Now.AddSeconds(Run.Definition.TimeoutSeconds), Generation: Run.Generation + 1), _cancellationToken);
        await DispatchAsync(phase.LastAttempt + 1, feedback: null, RunOutcome.RunRetried);
    }

    /// <summary>A message that arrived for an attempt, approval or timer the run no longer waits on: recorded, otherwise ignored.</summary>
    public void Ignore(
        string messageType, string reason, Guid? messageId, string? phaseKey = null, int? attempt = null, Guid? executionId = null,
        JsonObject? details = null)
    {
        var payload = new JsonObject
        {
            ["messageType"] = messageType,
            ["reason"] = reason,
            ["state"] = Run.CurrentState,
            ["phaseKey"] = phaseKey,
            ["attempt"] = attempt,
            ["executionId"] = executionId?.ToString(),
        };
        foreach (var (name, value) in details ?? [])
        {
            payload[name] = value?.DeepClone();
        }

        Record(RunEventTypes.MessageIgnored, payload, $"ignored:{messageId ?? NewId.NextGuid()}");
    }

    /// <summary>
    /// An <see cref="ApprovalDecided"/> the run does not wait on (another request, attempt or artifact digest, or a run
    /// that is not awaiting approval): recorded with who decided what on which digest, so the log shows what was ignored.
    /// </summary>
    public void IgnoreDecision(ApprovalDecided message, string reason, Guid? messageId) =>
        Ignore(nameof(ApprovalDecided), reason, messageId, message.PhaseKey, message.Attempt, details: new JsonObject
        {
            ["requestId"] = message.RequestId.ToString(),
            ["gate"] = message.Gate,
            ["action"] = RunJson.WireName(message.Action),
            ["decidedBy"] = message.DecidedBy,
            ["artifactDigest"] = message.ArtifactDigest,
        });

    // ---- the end -----------------------------------------------------------------------------------------------

    private async Task StopOpenAttemptAsync(AttemptOutcome outcome)
    {
        if (Run.StartedAt is null || Run.CurrentPhase.OpenAttempt is not { } open)
        {
            return;
        }

        open.Outcome = outcome;
        open.ErrorKind = outcome == AttemptOutcome.Timeout ? FailureKind.Timeout : null;
        open.EndedAt = Now;
        await _bus.Publish(new CancelPhase { RunId = Run.CorrelationId, ExecutionId = open.ExecutionId }, _cancellationToken);
    }

    private Task FailAsync(RunOutcome outcome, string code, string message, string? phaseKey) =>
        FinishAsync(outcome, new RunError { Code = code, Message = message, PhaseKey = phaseKey });

    private async Task FinishAsync(RunOutcome outcome, RunError? error)
    {
        var state = RunTransitions.TargetOf(outcome);
        Run.Error = error;
        Run.EndedAt = Now;
        Run.Generation++;
        Run.Retry = null;
        Run.Approval = null;
        await _journal.ClearDeadlinesAsync(Run.CorrelationId, _cancellationToken);

        if (Run.StartedAt is not null && Run.CurrentPhase.State is PhaseState.Running or PhaseState.AwaitingApproval or PhaseState.Pending
            && state != ContractRunState.Completed)
        {
            Run.CurrentPhase.State = state == ContractRunState.Cancelled ? PhaseState.Cancelled : PhaseState.Failed;
            Run.CurrentPhase.EndedAt = Now;
        }

        var type = state switch
        {
            ContractRunState.Completed => RunEventTypes.RunCompleted,
            ContractRunState.Aborted => RunEventTypes.RunAborted,
            ContractRunState.Cancelled => RunEventTypes.RunCancelled,
            _ => RunEventTypes.RunFailed,
        };
        Record(type, new JsonObject
        {
            ["generation"] = Run.Generation,
            ["error"] = error is null ? null : new JsonObject { ["code"] = error.Code, ["message"] = error.Message, ["phaseKey"] = error.PhaseKey },
        }, $"finished:{Run.Generation}");

        // The input bundle stays claimed by a completed run (identical starts are answered with it); any other end frees it.
        if (state != ContractRunState.Completed)
        {
            await _journal.ReleaseInputBundleAsync(Run.Definition.InputBundleHash, Run.CorrelationId, _cancellationToken);
        }

        var reads = await _journal.ReadForRunFinishedAsync(Run.CorrelationId, Run.Generation, LastEventsInRunFinished, _cancellationToken);
        var finished = RunFinishedMessage.From(Run, state, reads.LastEvents, Now);
        await _bus.Publish(finished, _cancellationToken);
        foreach (var alias in reads.Aliases)
        {
            await _bus.Publish(finished with { RunId = alias, AliasOf = Run.CorrelationId }, _cancellationToken);
        }

        Decide(outcome);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Sets where the state machine moves the run. Every decision must be one <see cref="RunTransitions"/> lists for the
    /// message and the state it arrived in, so the rendered state diagram cannot miss a transition the code makes.
    /// </summary>
    private void Decide(RunOutcome outcome)
    {
        if (!RunTransitions.Allows(_fromState, _eventName, outcome))
        {
            throw new InvalidOperationException(
                $"{_eventName} in {_fromState} decided {outcome}, which RunTransitions.All does not list for it; add it there (and regenerate docs/run-lifecycle-diagram.md).");
        }

        Run.Target = RunTransitions.TargetOf(outcome);
    }

    private AttemptRecord? OpenAttempt(string phaseKey, int attempt, Guid executionId) =>
        Run.StartedAt is not null && Run.CurrentPhase.Key == phaseKey && Run.CurrentPhase.OpenAttempt is { } open
        && open.Attempt == attempt && open.ExecutionId == executionId
            ? open
            : null;

    private void Record(string type, JsonObject payload, string idempotencyKey)
    {
        Run.EventSeq++;
        _journal.Append(new RunEventEntry(Run.CorrelationId, Run.EventSeq, type, payload, idempotencyKey, Now));
        // One line per transition, in the trace of the message that caused it.
        LogEvent(_logger, Run.CorrelationId, Run.EventSeq, type);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} #{Seq} {Type}")]
    private static partial void LogEvent(ILogger logger, Guid runId, long seq, string type);

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
