using System.Text;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

// Starting a run, dispatching attempts, and what their results, failures and timeouts lead to.
public sealed partial class RunDecider
{
    /// <summary>Admission created the run (still <c>Pending</c>): record it and send its first attempt.</summary>
    private void Start(StartRun start)
    {
        Record(RunEventTypes.RunCreated, new JsonObject
        {
            ["template"] = $"{Run.Definition.Template.Name}@{Run.Definition.Template.Version}",
            ["templateHash"] = Run.Definition.Template.Hash,
            ["inputBundleHash"] = Run.Definition.InputBundleHash,
            ["force"] = start.Options.Force,
            ["requestedBy"] = start.RequestedBy,
        }, "created");
        Run.StartedAt = Now;
        Record(RunEventTypes.RunStarted, new JsonObject { ["generation"] = Run.Generation + 1 }, $"started:{Run.Generation + 1}");
        Effect(new RunEffect.SetDeadline(DeadlineKind.Run, Now.AddSeconds(Run.Definition.TimeoutSeconds), Generation: Run.Generation + 1));
        Dispatch(Run.CurrentPhase.LastAttempt + 1, feedback: null, RunOutcome.PhaseDispatched);
    }

    /// <summary>Sends the current phase's next attempt to the workers (after the budget check).</summary>
    private void Dispatch(int attempt, IReadOnlyList<string>? feedback, RunOutcome dispatched)
    {
        var phase = Run.CurrentPhase;
        var plan = Run.CurrentPlan;
        if (BudgetExceeded() is { } overBudget)
        {
            Fail(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, phase.Key);
            return;
        }

        var executionId = NameBasedId.Of($"{Run.CorrelationId}:execution:{phase.Key}:{attempt}");
        if (IsRunPhase)
        {
            DispatchChildren(attempt, executionId, dispatched);
            return;
        }

        var outputs = Run.Outputs.ToDictionary(o => o.Key, o => o.Value);
        var rendered = InstructionRenderer.Render(plan.Instructions, Run.Definition.Inputs, outputs);
        if (rendered.Rendered is not { } instructions)
        {
            Fail(RunOutcome.InstructionsUnrenderable, ErrorCodes.InstructionsUnrenderable,
                $"The instructions reference values that do not exist: {string.Join(", ", rendered.MissingReferences)}.", phase.Key);
            return;
        }

        var size = Encoding.UTF8.GetByteCount(instructions.Text);
        if (size > _options.MaxRenderedInstructionsBytes)
        {
            Fail(RunOutcome.InstructionsTooLarge, ErrorCodes.InstructionsTooLarge,
                $"Not sent: {InstructionSize.TooLarge(phase.Key, size, _options.MaxRenderedInstructionsBytes)}.", phase.Key);
            return;
        }

        var deadline = Now.AddSeconds(_options.ScheduleToStartSeconds + plan.TimeoutSeconds);
        phase.State = PhaseState.Running;
        phase.StartedAt ??= Now;
        phase.InstructionsDigest = Digest.Sha256(Encoding.UTF8.GetBytes(instructions.Text));
        phase.Attempts.Add(new AttemptRecord { Attempt = attempt, ExecutionId = executionId, DispatchedAt = Now, DeadlineAt = deadline });

        Publish(new ExecutePhase
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
        });
        Effect(new RunEffect.SetDeadline(DeadlineKind.Attempt, deadline, phase.Key, attempt, executionId));
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

    private void DispatchRetry(RetryBackoffElapsed message)
    {
        if (Run.Retry is not { } retry || retry.PhaseKey != message.PhaseKey || retry.NextAttempt != message.Attempt)
        {
            Ignore("no retry of this attempt is waiting", message.PhaseKey, message.Attempt);
            return;
        }

        Run.Retry = null;
        Dispatch(retry.NextAttempt, feedback: null, RunOutcome.RetryDispatched);
    }

    private void AcceptResult(PhaseSucceeded message)
    {
        if (OpenAttempt(message.PhaseKey, message.Attempt, message.ExecutionId) is not { } attempt)
        {
            Ignore("not the attempt the run waits on", message.PhaseKey, message.Attempt, message.ExecutionId);
            return;
        }

        // The artifact crossed a broker and a worker: re-verify the digest it claims before trusting it.
        var digest = Digest.Of(message.Artifact);
        if (digest != message.ArtifactDigest)
        {
            CloseFailedAttempt(attempt, FailureKind.ExecutorError, AttemptOutcome.ExecutorError,
                [$"artifact digest mismatch: the worker said {message.ArtifactDigest}, the artifact is {digest}"],
                message.Artifact, message.Usage, message.StartedAt, message.EndedAt);
            return;
        }

        Accept(attempt, message.Artifact, digest, message.Usage, message.StartedAt, message.EndedAt, message.WorkerId);
    }

    /// <summary>The attempt produced an accepted artifact: store it, record the phase's success, and go on (budget, gates, next phase).</summary>
    private void Accept(AttemptRecord attempt, JsonNode artifact, string digest, Usage usage, DateTimeOffset startedAt, DateTimeOffset endedAt, string? workerId)
    {
        var phase = Run.CurrentPhase;
        attempt.Outcome = AttemptOutcome.Succeeded;
        attempt.StartedAt = startedAt;
        attempt.EndedAt = endedAt;
        attempt.Usage = usage;
        attempt.ArtifactDigest = digest;
        if (!IsRunPhase)
        {
            AddUsage(usage); // a run phase's usage was counted as each child ended
        }

        phase.ArtifactDigest = digest;
        Run.Outputs[phase.Key] = artifact.DeepClone();
        Effect(new RunEffect.StoreArtifact(phase.Key, attempt.Attempt, artifact, digest, Accepted: true));
        Effect(new RunEffect.ClearDeadline(DeadlineKind.Attempt));
        Record(RunEventTypes.PhaseSucceeded, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = attempt.Attempt,
            ["executionId"] = attempt.ExecutionId.ToString(),
            ["artifactDigest"] = digest,
            ["usage"] = UsageJson(usage),
            ["workerId"] = workerId,
        }, $"result:{attempt.ExecutionId}");

        if (BudgetExceeded() is { } overBudget)
        {
            Fail(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, phase.Key);
            return;
        }

        AfterPhaseAccepted();
    }

    private void RecordFailure(PhaseAttemptFailed message)
    {
        if (OpenAttempt(message.PhaseKey, message.Attempt, message.ExecutionId) is not { } attempt)
        {
            Ignore("not the attempt the run waits on", message.PhaseKey, message.Attempt, message.ExecutionId);
            return;
        }

        var outcome = message.Kind switch
        {
            FailureKind.InvalidArtifact => AttemptOutcome.InvalidArtifact,
            FailureKind.Timeout => AttemptOutcome.Timeout,
            FailureKind.ChildFailed => AttemptOutcome.ChildFailed,
            _ => AttemptOutcome.ExecutorError,
        };
        CloseFailedAttempt(attempt, message.Kind, outcome, message.Errors, message.Artifact, message.Usage, message.StartedAt, message.EndedAt);
    }

    private void RecordTimeout(PhaseTimedOut message)
    {
        if (OpenAttempt(message.PhaseKey, message.Attempt, message.ExecutionId) is not { } attempt)
        {
            Ignore("not the attempt the run waits on", message.PhaseKey, message.Attempt, message.ExecutionId);
            return;
        }

        // A worker (or the attempt's children) may still be busy with it: tell them to stop. Late results are ignored.
        if (IsRunPhase)
        {
            CancelChildren(attempt.Attempt, $"attempt {attempt.Attempt} of phase '{message.PhaseKey}' of run {Run.CorrelationId} timed out");
        }
        else
        {
            Publish(new CancelPhase { RunId = Run.CorrelationId, ExecutionId = attempt.ExecutionId });
        }
        Record(RunEventTypes.PhaseTimedOut, new JsonObject
        {
            ["phaseKey"] = message.PhaseKey,
            ["attempt"] = message.Attempt,
            ["executionId"] = message.ExecutionId.ToString(),
        }, $"timeout:{message.ExecutionId}");
        CloseFailedAttempt(attempt, FailureKind.Timeout, AttemptOutcome.Timeout,
            ["no result before the attempt's deadline"], artifact: null, new Usage(), attempt.DispatchedAt, Now);
    }

    private void CloseFailedAttempt(
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
            Effect(new RunEffect.StoreArtifact(phase.Key, attempt.Attempt, artifact, attempt.ArtifactDigest, Accepted: false));
        }

        Effect(new RunEffect.ClearDeadline(DeadlineKind.Attempt));
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
            Fail(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, phase.Key);
            return;
        }

        var plan = Run.CurrentPlan;
        if (kind == FailureKind.InvalidArtifact)
        {
            // Repair attempts are counted apart from retries: each invalid artifact may be repaired RepairAttempts times.
            // A run phase is not repaired: its children's inputs would not change.
            if (!IsRunPhase && phase.CountSinceAllowance(AttemptOutcome.InvalidArtifact) <= plan.RepairAttempts)
            {
                Dispatch(phase.LastAttempt + 1, feedback: attempt.Errors, RunOutcome.RepairDispatched);
                return;
            }

            Fail(RunOutcome.RepairsUsedUp, ErrorCodes.ArtifactInvalidAfterRepair,
                $"Phase '{phase.Key}' produced an invalid artifact after {plan.RepairAttempts} repair attempt(s); the last one (attempt {attempt.Attempt}): "
                + ErrorList(attempt.Errors), phase.Key);
            return;
        }

        var failures = phase.CountSinceAllowance(AttemptOutcome.ExecutorError, AttemptOutcome.Timeout, AttemptOutcome.ChildFailed);
        if (failures < plan.MaxAttempts)
        {
            var delay = TimeSpan.FromSeconds(plan.BackoffSeconds * Math.Pow(plan.BackoffMultiplier, failures - 1));
            var retry = new PendingRetry(phase.Key, phase.LastAttempt + 1, Now + delay);
            Run.Retry = retry;
            Effect(new RunEffect.SetDeadline(DeadlineKind.Backoff, retry.DueAt, phase.Key, retry.NextAttempt));
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

        var code = kind switch
        {
            FailureKind.Timeout => ErrorCodes.PhaseTimeout,
            FailureKind.ChildFailed => ErrorCodes.ChildFailed,
            _ => ErrorCodes.ExecutorError,
        };
        Fail(RunOutcome.RetriesUsedUp, code, $"Phase '{phase.Key}' failed {failures} time(s): {string.Join("; ", attempt.Errors.Take(3))}", phase.Key);
    }

    /// <summary>
    /// The errors of an attempt for a run's error message: the first few (each shortened), so the message says what was
    /// wrong without the event log; the event log keeps them all.
    /// </summary>
    private static string ErrorList(List<string> errors)
    {
        const int shown = 5;
        const int length = 300;
        var listed = string.Join("; ", errors.Take(shown).Select(e => e.Length <= length ? e : string.Concat(e.AsSpan(0, length - 3), "...")));
        return errors.Count switch
        {
            0 => "no errors were reported.",
            > shown => $"{listed} (and {errors.Count - shown} more).",
            _ => $"{listed}.",
        };
    }
}
