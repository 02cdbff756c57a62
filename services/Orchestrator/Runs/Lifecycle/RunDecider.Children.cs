using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Runs.Children;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

// A `run` phase: its attempt starts child runs (one, or one per forEach item, at most maxParallel at once), waits for
// them, and its artifact is theirs. Children are started with StartRun through admission and report back with
// ChildRunFinished, gathered per parent into ChildRunsFinished (docs/run-lifecycle.md, "Child runs").
public sealed partial class RunDecider
{
    private bool IsRunPhase => Run.CurrentPlan.Executor == PhaseExecutors.Run;

    /// <summary>Opens the attempt of a <c>run</c> phase and starts its first children.</summary>
    private void DispatchChildren(int attempt, Guid executionId, RunOutcome dispatched)
    {
        var phase = Run.CurrentPhase;
        var plan = Run.CurrentPlan;
        var deadline = Now.AddSeconds(_options.ScheduleToStartSeconds + plan.TimeoutSeconds);
        phase.State = PhaseState.Running;
        phase.StartedAt ??= Now;
        var open = new AttemptRecord { Attempt = attempt, ExecutionId = executionId, DispatchedAt = Now, DeadlineAt = deadline, StartedAt = Now };
        phase.Attempts.Add(open);
        Effect(new RunEffect.SetDeadline(DeadlineKind.Attempt, deadline, phase.Key, attempt, executionId));
        Record(RunEventTypes.PhaseDispatched, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = attempt,
            ["executionId"] = executionId.ToString(),
            ["repair"] = false,
            ["deadlineAt"] = deadline,
        }, $"dispatch:{executionId}");
        Decide(dispatched);
        AdvanceChildren(open);
    }

    /// <summary>
    /// Children ended (one or more, gathered by <see cref="ChildRunFinishedBatcher"/>): record each, count its usage,
    /// then start the next ones or close the attempt.
    /// </summary>
    private void ChildrenFinished(ChildRunsFinished message)
    {
        var advance = false;
        foreach (var end in message.Children)
        {
            advance |= ChildFinished(end);
        }

        if (BudgetExceeded() is { } overBudget)
        {
            Fail(RunOutcome.BudgetExceeded, ErrorCodes.BudgetExceeded, overBudget, Run.CurrentPhase.Key);
            return;
        }

        if (advance && Run.CurrentPhase.OpenAttempt is { } open)
        {
            AdvanceChildren(open);
        }
    }

    /// <summary>Records a child's end; <see langword="true"/> when it was a child of the current phase's open attempt.</summary>
    private bool ChildFinished(ChildRunFinished message)
    {
        var (phase, child) = Run.Phases.SelectMany(p => p.Children.Select(c => (Phase: p, Child: c)))
            .LastOrDefault(x => x.Child.RunId == message.ChildRunId);
        if (child is null || child.State != RunState.Running)
        {
            Ignore(child is null ? "not a child of this run" : "the child's end was recorded already",
                phase?.Key, child?.Attempt, details: new JsonObject { ["childRunId"] = message.ChildRunId.ToString() },
                part: message.ChildRunId.ToString());
            return false;
        }

        var state = message.State;
        var errorCode = message.Error?.Code;
        if (state == RunState.Completed && (message.InputsDigest != child.InputsDigest || message.Artifact is null))
        {
            // Not what the parent asked for (another run under the child's id): its artifact is not taken.
            (state, errorCode) = (RunState.Failed, ErrorCodes.ChildFailed);
        }

        child.State = state;
        child.ErrorCode = errorCode;
        child.EndedAt = message.EndedAt;
        child.Usage = message.Usage;
        if (state == RunState.Completed)
        {
            child.Artifact = message.Artifact!.DeepClone();
            child.ArtifactDigest = message.ArtifactDigest;
        }

        AddUsage(message.Usage);
        Record(RunEventTypes.ChildFinished, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = child.Attempt,
            ["index"] = child.Index,
            ["childRunId"] = child.RunId.ToString(),
            ["state"] = RunStates.ToJson(state),
            ["errorCode"] = errorCode,
            ["usage"] = UsageJson(message.Usage),
        }, $"child:{child.RunId}:finished");
        Decide(RunOutcome.ChildFinished);
        return phase == Run.CurrentPhase && phase.OpenAttempt?.Attempt == child.Attempt;
    }

    /// <summary>
    /// Starts the attempt's next children (indexes without a completed child, up to <c>maxParallel</c> in flight), or,
    /// once every one of them has ended, closes the attempt: failed (<c>child_failed</c>) if any did not complete, else
    /// with the artifact assembled from theirs.
    /// </summary>
    private void AdvanceChildren(AttemptRecord open)
    {
        var phase = Run.CurrentPhase;
        var settings = ChildRunSettings.Of(Run.CurrentPlan.Settings);
        var outputs = Run.Outputs.ToDictionary(o => o.Key, o => o.Value);
        var (items, itemsError) = ChildRunInputs.ItemsOf(settings, Run.Definition.Inputs, outputs);
        if (itemsError is not null)
        {
            CloseChildAttempt(open, FailureKind.ChildFailed, AttemptOutcome.ChildFailed, [itemsError], artifact: null);
            return;
        }

        var count = items?.Count ?? 1;
        var completed = new Dictionary<int, ChildRecord>();
        foreach (var done in phase.Children.Where(c => c.State == RunState.Completed))
        {
            completed[done.Index] = done; // the latest completed child of each index
        }

        var ofAttempt = phase.Children.Where(c => c.Attempt == open.Attempt).ToDictionary(c => c.Index);
        var inFlight = ofAttempt.Values.Count(c => c.State == RunState.Running);
        var toStart = Enumerable.Range(0, count).Where(i => !completed.ContainsKey(i) && !ofAttempt.ContainsKey(i))
            .Take(Math.Max(0, settings.MaxParallel - inFlight)).ToList();
        foreach (var index in toStart)
        {
            ofAttempt[index] = StartChild(settings, open, index, items?[index], outputs);
        }

        var waiting = Enumerable.Range(0, count).Where(i => !completed.ContainsKey(i)).ToList();
        if (waiting.Any(i => !ofAttempt.TryGetValue(i, out var child) || child.State == RunState.Running))
        {
            return; // children still running or still to start
        }

        if (waiting.Count > 0)
        {
            var failures = waiting.Select(i => ofAttempt[i])
                .Select(c => $"child {c.Index} ({c.RunId}) {RunStates.ToJson(c.State)}: {c.ErrorCode ?? "no error code"}").ToList();
            CloseChildAttempt(open, FailureKind.ChildFailed, AttemptOutcome.ChildFailed, failures, artifact: null);
            return;
        }

        JsonNode artifact = items is null
            ? completed[0].Artifact!.DeepClone()
            : new JsonObject { ["items"] = new JsonArray(Enumerable.Range(0, count).Select(i => completed[i].Artifact!.DeepClone()).ToArray()) };
        var errors = Input.ChildArtifactSchemas.TryGetValue(phase.Key, out var schema) ? schema.Validate(artifact) : [];
        if (errors.Count > 0)
        {
            CloseChildAttempt(open, FailureKind.InvalidArtifact, AttemptOutcome.InvalidArtifact, errors, artifact);
            return;
        }

        foreach (var child in phase.Children)
        {
            child.Artifact = null; // the phase's artifact holds them now
        }

        Accept(open, artifact, Digest.Of(artifact), AttemptUsage(open), open.StartedAt ?? open.DispatchedAt, Now, workerId: null);
    }

    private ChildRecord StartChild(ChildRunSettings settings, AttemptRecord open, int index, JsonNode? item, IReadOnlyDictionary<string, JsonNode?> outputs)
    {
        var phase = Run.CurrentPhase;
        var childRunId = NameBasedId.Of($"{open.ExecutionId}:{index}");
        var (inputs, missing) = ChildRunInputs.Render(settings.Inputs, Run.Definition.Inputs, outputs, item, settings.ForEach is null ? null : index);
        var child = new ChildRecord
        {
            Index = index,
            Attempt = open.Attempt,
            RunId = childRunId,
            InputsDigest = inputs is null ? "" : Digest.Of(inputs),
            StartedAt = Now,
        };
        phase.Children.Add(child);
        Record(RunEventTypes.ChildStarted, new JsonObject
        {
            ["phaseKey"] = phase.Key,
            ["attempt"] = open.Attempt,
            ["index"] = index,
            ["childRunId"] = childRunId.ToString(),
        }, $"child:{childRunId}:started");

        if (inputs is null)
        {
            // Nothing to start: the child fails here, and the attempt fails with it once the others have ended.
            child.State = RunState.Failed;
            child.ErrorCode = ErrorCodes.InstructionsUnrenderable;
            child.EndedAt = Now;
            Record(RunEventTypes.ChildFinished, new JsonObject
            {
                ["phaseKey"] = phase.Key,
                ["attempt"] = open.Attempt,
                ["index"] = index,
                ["childRunId"] = childRunId.ToString(),
                ["state"] = RunStates.ToJson(RunState.Failed),
                ["errorCode"] = child.ErrorCode,
                ["errors"] = new JsonArray(missing.Select(m => (JsonNode?)$"{m} resolves to nothing").ToArray()),
            }, $"child:{childRunId}:finished");
            return child;
        }

        var labels = Run.Definition.Options.Labels.ToDictionary(l => l.Key, l => l.Value);
        labels["parentRunId"] = Run.CorrelationId.ToString();
        labels["parentPhase"] = phase.Key;
        Publish(new StartRun
        {
            RunId = childRunId,
            Template = settings.Template,
            Inputs = inputs,
            Model = Run.Definition.Model.DeepClone().AsObject(),
            Options = new RunOptions { MaxDepth = Run.Definition.Options.MaxDepth, Budget = Remaining(), Labels = labels },
            ParentRunId = Run.CorrelationId,
            RequestedBy = Run.RequestedBy,
        });
        return child;
    }

    /// <summary>Closes a <c>run</c> phase's attempt that failed; a failed assembled artifact is not repaired (the children's inputs would not change).</summary>
    private void CloseChildAttempt(AttemptRecord open, FailureKind kind, AttemptOutcome outcome, IReadOnlyList<string> errors, JsonNode? artifact)
    {
        CloseFailedAttempt(open, kind, outcome, errors, artifact, new Usage(), open.StartedAt ?? open.DispatchedAt, Now);
        open.Usage = AttemptUsage(open); // already counted in the run's usage as each child ended
    }

    /// <summary>Tells every child of the run still running to stop (the run or the attempt waiting on them ended).</summary>
    private void CancelChildren(int? attempt, string reason)
    {
        foreach (var child in Run.Phases.SelectMany(p => p.Children).Where(c => c.State == RunState.Running && (attempt is null || c.Attempt == attempt)))
        {
            Publish(new CancelRun { RunId = child.RunId, Reason = reason, RequestedBy = $"run {Run.CorrelationId}" });
        }
    }

    private Usage AttemptUsage(AttemptRecord attempt) =>
        Run.CurrentPhase.Children.Where(c => c.Attempt == attempt.Attempt).Aggregate(new Usage(), (sum, c) => new Usage
        {
            InputTokens = sum.InputTokens + c.Usage.InputTokens,
            OutputTokens = sum.OutputTokens + c.Usage.OutputTokens,
            CostUsd = sum.CostUsd + c.Usage.CostUsd,
        });
}
