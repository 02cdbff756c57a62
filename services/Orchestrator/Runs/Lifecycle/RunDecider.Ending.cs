using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

// Gates, cancel, the run's timeout, the retry of a failed run, and the end of a run.
public sealed partial class RunDecider
{
    private void AfterPhaseAccepted()
    {
        var phase = Run.CurrentPhase;
        var gates = Run.CurrentPlan.Gates;
        if (phase.GateIndex < gates.Count)
        {
            RequestApproval(gates[phase.GateIndex]);
            return;
        }

        phase.State = PhaseState.Completed;
        phase.EndedAt = Now;
        if (Run.PhaseIndex == Run.Phases.Count - 1)
        {
            Finish(RunOutcome.LastPhaseAccepted, error: null);
            return;
        }

        Run.PhaseIndex++;
        Dispatch(Run.CurrentPhase.LastAttempt + 1, feedback: null, RunOutcome.PhaseDispatched);
    }

    private void RequestApproval(GatePlan gate)
    {
        var phase = Run.CurrentPhase;
        var attempt = phase.Attempts[^1];
        var requestId = NameBasedId.Of($"{Run.CorrelationId}:approval:{phase.Key}:{attempt.Attempt}:{gate.Name}");
        var digest = phase.ArtifactDigest!;
        Run.Approval = new PendingApproval(requestId, phase.Key, attempt.Attempt, gate.Name, digest);
        phase.State = PhaseState.AwaitingApproval;
        var expiresAt = gate.ExpiresAfterSeconds is { } seconds ? Now.AddSeconds(seconds) : (DateTimeOffset?)null;

        Publish(new ApprovalRequested
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
        });
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

    private void ApplyDecision(ApprovalDecided message)
    {
        if (Run.Approval is not { } waiting || waiting.RequestId != message.RequestId || waiting.Attempt != message.Attempt
            || waiting.PhaseKey != message.PhaseKey || waiting.ArtifactDigest != message.ArtifactDigest)
        {
            IgnoreDecision(message, "not the approval the run waits on");
            return;
        }

        Run.Approval = null;
        Run.CurrentPhase.Approvals.Add(new ApprovalSummary
        {
            RequestId = message.RequestId,
            Gate = message.Gate,
            Attempt = message.Attempt,
            ArtifactDigest = message.ArtifactDigest,
            Action = message.Action,
            DecidedBy = message.DecidedBy,
            DecidedAt = message.DecidedAt,
            Comment = message.Comment,
        });
        Record(RunEventTypes.ApprovalDecided, new JsonObject
        {
            ["requestId"] = message.RequestId.ToString(),
            ["phaseKey"] = message.PhaseKey,
            ["attempt"] = message.Attempt,
            ["gate"] = message.Gate,
            ["action"] = RunJson.WireName(message.Action),
            ["decidedBy"] = message.DecidedBy,
            ["decidedAt"] = message.DecidedAt,
            ["comment"] = message.Comment,
        }, $"decision:{message.RequestId}");

        switch (message.Action)
        {
            case ApprovalAction.Approve:
                Run.CurrentPhase.GateIndex++;
                Run.CurrentPhase.State = PhaseState.Running;
                AfterPhaseAccepted();
                break;
            case ApprovalAction.Abort:
                Finish(RunOutcome.ApprovalAborted, new RunError
                {
                    Code = ErrorCodes.ApprovalAborted,
                    Message = $"Gate '{message.Gate}' was aborted by {message.DecidedBy ?? "an approver"}.",
                    PhaseKey = message.PhaseKey,
                });
                break;
            case ApprovalAction.Expire:
                Fail(RunOutcome.ApprovalExpired, ErrorCodes.ApprovalExpired, $"Gate '{message.Gate}' expired before anyone decided.", message.PhaseKey);
                break;
            default:
                Fail(RunOutcome.ApprovalRejected, ErrorCodes.ApprovalRejected,
                    $"Gate '{message.Gate}' was rejected by {message.DecidedBy ?? "an approver"}.", message.PhaseKey);
                break;
        }
    }

    private void Cancel(CancelRun message)
    {
        StopOpenAttempt(AttemptOutcome.Cancelled);
        Finish(RunOutcome.Cancelled, new RunError
        {
            Code = ErrorCodes.RunCancelled,
            Message = string.IsNullOrWhiteSpace(message.Reason) ? $"Cancelled by {message.RequestedBy ?? "a client"}." : message.Reason,
            PhaseKey = Run.StartedAt is null ? null : Run.CurrentPhase.Key,
        });
    }

    private void TimeOut(RunTimedOut message)
    {
        if (message.Generation != Run.Generation + 1)
        {
            Ignore("the deadline of an earlier generation");
            return;
        }

        StopOpenAttempt(AttemptOutcome.Timeout);
        Fail(RunOutcome.RunTimedOut, ErrorCodes.RunTimeout, $"The run did not finish within {Run.Definition.TimeoutSeconds} s.",
            Run.StartedAt is null ? null : Run.CurrentPhase.Key);
    }

    private void Retry(RetryRun message)
    {
        if (!Input.InputBundleHeld)
        {
            Ignore($"an identical run holds the input bundle meanwhile ({ErrorCodes.RunNotRetryable})");
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
        Effect(new RunEffect.SetDeadline(DeadlineKind.Run, Now.AddSeconds(Run.Definition.TimeoutSeconds), Generation: Run.Generation + 1));
        Dispatch(phase.LastAttempt + 1, feedback: null, RunOutcome.RunRetried);
    }

    private void StopOpenAttempt(AttemptOutcome outcome)
    {
        if (Run.StartedAt is null || Run.CurrentPhase.OpenAttempt is not { } open)
        {
            return;
        }

        open.Outcome = outcome;
        open.ErrorKind = outcome == AttemptOutcome.Timeout ? FailureKind.Timeout : null;
        open.EndedAt = Now;
        if (!IsRunPhase)
        {
            Publish(new CancelPhase { RunId = Run.CorrelationId, ExecutionId = open.ExecutionId }); // a run phase's children are cancelled as the run ends
        }
    }

    private void Fail(RunOutcome outcome, string code, string message, string? phaseKey) =>
        Finish(outcome, new RunError { Code = code, Message = message, PhaseKey = phaseKey });

    private void Finish(RunOutcome outcome, RunError? error)
    {
        var state = RunTransitions.TargetOf(outcome);
        Run.Error = error;
        Run.EndedAt = Now;
        Run.Generation++;
        Run.Retry = null;
        Run.Approval = null;
        Effect(new RunEffect.ClearDeadline(Kind: null));
        if (state != RunState.Completed)
        {
            CancelChildren(attempt: null, $"parent run {Run.CorrelationId} ended {RunStates.ToJson(state)}");
        }

        if (Run.StartedAt is not null && Run.CurrentPhase.State is PhaseState.Running or PhaseState.AwaitingApproval or PhaseState.Pending
            && state != RunState.Completed)
        {
            Run.CurrentPhase.State = state == RunState.Cancelled ? PhaseState.Cancelled : PhaseState.Failed;
            Run.CurrentPhase.EndedAt = Now;
        }

        var type = state switch
        {
            RunState.Completed => RunEventTypes.RunCompleted,
            RunState.Aborted => RunEventTypes.RunAborted,
            RunState.Cancelled => RunEventTypes.RunCancelled,
            _ => RunEventTypes.RunFailed,
        };
        Record(type, new JsonObject
        {
            ["generation"] = Run.Generation,
            ["error"] = error is null ? null : new JsonObject { ["code"] = error.Code, ["message"] = error.Message, ["phaseKey"] = error.PhaseKey },
        }, $"finished:{Run.Generation}");

        // The input bundle stays claimed by a completed run (identical starts are answered with it); any other end frees it.
        if (state != RunState.Completed)
        {
            Effect(new RunEffect.ReleaseInputBundle());
        }

        Effect(new RunEffect.PublishRunFinished(state));
        Decide(outcome);
    }
}
