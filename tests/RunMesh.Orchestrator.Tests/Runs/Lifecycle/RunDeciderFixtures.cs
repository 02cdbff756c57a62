using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Children;
using RunMesh.Orchestrator.Runs.Lifecycle;

namespace RunMesh.Orchestrator.Tests.Runs.Lifecycle;

/// <summary>Runs brought to a point of their lifecycle by the decider alone, and the messages that play the other services.</summary>
internal static class RunDeciderFixtures
{
    public static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static OrchestratorOptions Options { get; } = new();

    /// <summary>Applies <paramref name="message"/> to <paramref name="run"/> and moves the run as the state machine does.</summary>
    public static RunDecision Step(RunRecord run, object message, bool inputBundleHeld = true, OrchestratorOptions? options = null)
    {
        var decision = RunDecider.Decide(run, new RunInput(message, Guid.NewGuid()) { InputBundleHeld = inputBundleHeld }, options ?? Options, Now);
        run.State = decision.To;
        return decision;
    }

    /// <summary>A run just created by admission (Pending), not yet started.</summary>
    public static RunRecord Pending(Budget? budget = null, params PhasePlan[] phases)
    {
        var run = RunSagaHarness.PendingRun(Guid.NewGuid(), phases.Length == 0 ? [RunSagaHarness.Phase("spec")] : phases);
        run.Definition = run.Definition with { Budget = budget };
        return run;
    }

    public static StartRun StartOf(RunRecord run) => new()
    {
        RunId = run.CorrelationId,
        Template = $"{run.Definition.Template.Name}@{run.Definition.Template.Version}",
        Inputs = run.Definition.Inputs,
        RequestedBy = "ana",
    };

    /// <summary>A run admitted and started: Running, its first phase's first attempt open.</summary>
    public static RunRecord Running(params PhasePlan[] phases)
    {
        var run = Pending(null, phases);
        Step(run, StartOf(run));
        run.State.ShouldBe(RunState.Running);
        return run;
    }

    /// <summary>A run whose first phase (with a gate) succeeded: AwaitingApproval.</summary>
    public static RunRecord AwaitingApproval(bool lastPhase = false)
    {
        var gated = RunSagaHarness.Phase("spec", gates: new GatePlan("spec-approval"));
        var run = lastPhase ? Running(gated) : Running(gated, RunSagaHarness.Phase("review"));
        Step(run, Succeeded(run));
        run.State.ShouldBe(RunState.AwaitingApproval);
        return run;
    }

    /// <summary>A one-phase run that failed (its artifact stayed invalid).</summary>
    public static RunRecord Failed()
    {
        var run = Running(RunSagaHarness.Phase("spec", repairAttempts: 0));
        Step(run, AttemptFailed(run, FailureKind.InvalidArtifact));
        run.State.ShouldBe(RunState.Failed);
        return run;
    }

    /// <summary>A one-phase run that completed.</summary>
    public static RunRecord Completed()
    {
        var run = Running();
        Step(run, Succeeded(run));
        run.State.ShouldBe(RunState.Completed);
        return run;
    }

    public static RunRecord Cancelled()
    {
        var run = Running();
        Step(run, new CancelRun { RunId = run.CorrelationId });
        return run;
    }

    /// <summary>A run waiting for the backoff of its first attempt's retry.</summary>
    public static RunRecord WaitingForRetry()
    {
        var run = Running();
        Step(run, AttemptFailed(run, FailureKind.ExecutorError));
        run.Retry.ShouldNotBeNull();
        return run;
    }

    public static AttemptRecord Open(RunRecord run) => run.CurrentPhase.OpenAttempt ?? run.CurrentPhase.Attempts[^1];

    public static PhaseSucceeded Succeeded(RunRecord run, Usage? usage = null, Guid? executionId = null, string? digest = null)
    {
        var attempt = Open(run);
        var artifact = new JsonObject { ["title"] = $"{run.CurrentPhase.Key} #{attempt.Attempt}" };
        return new PhaseSucceeded
        {
            RunId = run.CorrelationId,
            PhaseKey = run.CurrentPhase.Key,
            Attempt = attempt.Attempt,
            ExecutionId = executionId ?? attempt.ExecutionId,
            Artifact = artifact,
            ArtifactDigest = digest ?? Digest.Of(artifact),
            Usage = usage ?? new Usage { InputTokens = 10, OutputTokens = 5, CostUsd = 0.01m },
            StartedAt = Now,
            EndedAt = Now,
            WorkerId = "test",
        };
    }

    public static PhaseAttemptFailed AttemptFailed(RunRecord run, FailureKind kind, Guid? executionId = null)
    {
        var attempt = Open(run);
        return new PhaseAttemptFailed
        {
            RunId = run.CorrelationId,
            PhaseKey = run.CurrentPhase.Key,
            Attempt = attempt.Attempt,
            ExecutionId = executionId ?? attempt.ExecutionId,
            Kind = kind,
            Errors = ["bad"],
            Artifact = kind == FailureKind.InvalidArtifact ? new JsonObject { ["wrong"] = true } : null,
            StartedAt = Now,
            EndedAt = Now,
        };
    }

    public static PhaseTimedOut TimedOut(RunRecord run, Guid? executionId = null)
    {
        var attempt = Open(run);
        return new PhaseTimedOut { RunId = run.CorrelationId, PhaseKey = run.CurrentPhase.Key, Attempt = attempt.Attempt, ExecutionId = executionId ?? attempt.ExecutionId };
    }

    public static RetryBackoffElapsed BackoffElapsed(RunRecord run, int? attempt = null) =>
        new() { RunId = run.CorrelationId, PhaseKey = run.CurrentPhase.Key, Attempt = attempt ?? run.Retry?.NextAttempt ?? 2 };

    public static ApprovalDecided Decided(RunRecord run, ApprovalAction action, int? attempt = null, string? digest = null)
    {
        var waiting = run.Approval ?? new PendingApproval(Guid.NewGuid(), run.CurrentPhase.Key, 1, "spec-approval", Digest.OfJson("{}"));
        return new ApprovalDecided
        {
            RequestId = waiting.RequestId,
            RunId = run.CorrelationId,
            PhaseKey = waiting.PhaseKey,
            Attempt = attempt ?? waiting.Attempt,
            Gate = waiting.Gate,
            ArtifactDigest = digest ?? waiting.ArtifactDigest,
            Action = action,
            DecidedBy = "ana",
            DecidedAt = Now,
        };
    }

    public static RunTimedOut RunDeadline(RunRecord run, int? generation = null) =>
        new() { RunId = run.CorrelationId, Generation = generation ?? run.Generation + 1 };

    /// <summary>The event types a decision appends, in order.</summary>
    public static List<string> EventTypes(RunDecision decision) =>
        decision.Effects.OfType<RunEffect.AppendEvent>().Select(e => e.Type).ToList();

    public static List<T> Published<T>(RunDecision decision) =>
        decision.Effects.OfType<RunEffect.Publish>().Select(p => p.Message).OfType<T>().ToList();

    /// <summary>A <c>run</c> phase calling <c>chapter@1</c>: one child, or one per element of <paramref name="forEach"/>.</summary>
    public static PhasePlan RunPhase(string key, int maxParallel = 8, string? forEach = null, int maxAttempts = 3)
    {
        var settings = new JsonObject
        {
            ["template"] = "chapter@1",
            ["inputs"] = new JsonObject { ["title"] = forEach is null ? "{{inputs.feature}}" : "{{item}}" },
            ["maxParallel"] = maxParallel,
        };
        if (forEach is not null)
        {
            settings["forEach"] = forEach;
        }

        var schema = new JsonObject { ["type"] = "object" };
        return new PhasePlan
        {
            Key = key,
            Executor = "run",
            Settings = settings,
            Instructions = "",
            ArtifactSchema = schema,
            SchemaDigest = Digest.Of(schema),
            MaxAttempts = maxAttempts,
            BackoffSeconds = 1,
        };
    }

    /// <summary>A run admitted and started whose only phase is a <c>run</c> phase over <c>inputs.titles</c>.</summary>
    public static RunRecord RunningChildren(int maxParallel, string[] titles, Budget? budget = null, int maxAttempts = 3)
    {
        var run = Pending(budget, RunPhase("chapters", maxParallel, "inputs.titles", maxAttempts));
        run.Definition = run.Definition with
        {
            Inputs = new JsonObject { ["feature"] = "dark mode", ["titles"] = new JsonArray([.. titles.Select(t => (JsonNode?)t)]) },
        };
        Step(run, StartOf(run));
        run.State.ShouldBe(RunState.Running);
        return run;
    }

    /// <summary>The children of the run's current phase still running, in the order they were started.</summary>
    public static List<ChildRecord> RunningChildrenOf(RunRecord run) =>
        run.CurrentPhase.Children.Where(c => c.State == RunState.Running).ToList();

    /// <summary>What the end of <paramref name="child"/> tells its parent, alone in its batch.</summary>
    public static ChildRunsFinished ChildEnded(
        RunRecord run, ChildRecord child, RunState state = RunState.Completed, string? code = null, Usage? usage = null, string? inputsDigest = null) =>
        ChildrenEnded(run, EndOf(run, child, state, code, usage, inputsDigest));

    /// <summary>The ends of several children, gathered into one batch as the batcher gathers them.</summary>
    public static ChildRunsFinished ChildrenEnded(RunRecord run, params ChildRunFinished[] ends) =>
        new() { RunId = run.CorrelationId, Children = ends };

    /// <summary>The end of <paramref name="child"/>.</summary>
    public static ChildRunFinished EndOf(
        RunRecord run, ChildRecord child, RunState state = RunState.Completed, string? code = null, Usage? usage = null, string? inputsDigest = null)
    {
        var artifact = state == RunState.Completed ? new JsonObject { ["text"] = $"chapter {child.Index}" } : null;
        return new ChildRunFinished
        {
            RunId = run.CorrelationId,
            ChildRunId = child.RunId,
            State = state,
            Error = code is null ? null : new RunError { Code = code, Message = $"the child ended with {code}" },
            Usage = usage ?? new Usage { InputTokens = 10, OutputTokens = 5, CostUsd = 0.01m },
            Artifact = artifact,
            ArtifactDigest = artifact is null ? null : Digest.Of(artifact),
            InputsDigest = inputsDigest ?? child.InputsDigest,
            EndedAt = Now,
        };
    }
}
