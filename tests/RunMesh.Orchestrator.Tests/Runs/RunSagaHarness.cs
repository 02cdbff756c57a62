using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Saga;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Children;
using RunMesh.Orchestrator.Runs.Lifecycle;

namespace RunMesh.Orchestrator.Tests.Runs;

/// <summary>
/// <see cref="RunStateMachine"/> on MassTransit's in-memory test harness, with helpers that play admission, the worker,
/// the approver and the deadline scan.
/// </summary>
internal sealed class RunSagaHarness : IAsyncDisposable
{
    public static readonly JsonObject StepsSchema = JsonNode.Parse("""
        {"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}
        """)!.AsObject();

    private readonly ServiceProvider _provider;

    private RunSagaHarness(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
        Saga = Harness.GetSagaStateMachineHarness<RunStateMachine, RunRecord>();
        Journal = provider.GetRequiredService<InMemoryRunJournal>();
    }

    public ITestHarness Harness { get; }

    public ISagaStateMachineTestHarness<RunStateMachine, RunRecord> Saga { get; }

    public InMemoryRunJournal Journal { get; }

    public RunStateMachine Machine => Saga.StateMachine;

    public static async Task<RunSagaHarness> StartAsync(Action<OrchestratorOptions>? configure = null)
    {
        var services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<InMemoryRunJournal>()
            .AddSingleton<IRunJournal>(sp => sp.GetRequiredService<InMemoryRunJournal>())
            .AddScoped<RunEffects>()
            .AddSingleton<ChildArtifactSchemas>();
        services.AddOptions<OrchestratorOptions>().Configure(options => configure?.Invoke(options));
        services.AddMassTransitTestHarness(x =>
        {
            x.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(30), testInactivityTimeout: TimeSpan.FromMilliseconds(300));
            x.AddSagaStateMachine<RunStateMachine, RunRecord>().InMemoryRepository();
        });
        var provider = services.BuildServiceProvider(validateScopes: true);
        var harness = new RunSagaHarness(provider);
        await harness.Harness.Start();
        return harness;
    }

    public static PhasePlan Phase(string key, int repairAttempts = 1, int maxAttempts = 3, params GatePlan[] gates) => new()
    {
        Key = key,
        Executor = "mock",
        Instructions = $"Do {key} for {{{{inputs.feature}}}}",
        ArtifactSchema = StepsSchema.DeepClone().AsObject(),
        SchemaDigest = Digest.Of(StepsSchema),
        RepairAttempts = repairAttempts,
        MaxAttempts = maxAttempts,
        BackoffSeconds = 1,
        Gates = gates,
    };

    /// <summary>A run row as admission writes it: Pending, with the spec-review template and <paramref name="phases"/>.</summary>
    public static RunRecord PendingRun(Guid runId, params PhasePlan[] phases) => new()
    {
        CorrelationId = runId,
        State = RunState.Pending,
        CreatedAt = DateTimeOffset.UtcNow,
        TemplateName = "spec-review",
        TemplateVersion = 1,
        Definition = new RunDefinition
        {
            Template = new TemplateRef { Name = "spec-review", Version = 1, Hash = Digest.OfJson("{}") },
            InputBundleHash = Digest.OfJson($"\"{runId}\""),
            Inputs = new JsonObject { ["feature"] = "dark mode" },
            Model = new JsonObject { ["name"] = "mock" },
            TimeoutSeconds = 600,
            Phases = phases,
        },
        Phases = phases.Select(p => new PhaseProgress { Key = p.Key }).ToList(),
    };

    /// <summary>
    /// Admits a run as admission does once it has resolved the template: a Pending row started by
    /// <see cref="RunAdmission.StartAsync"/> (the decider's first step, its effects written and published), then stored.
    /// </summary>
    public async Task<Guid> AdmitAsync(Budget? budget = null, params PhasePlan[] phases)
    {
        var runId = NewId.NextGuid();
        var record = PendingRun(runId, phases);
        record.Definition = record.Definition with { Budget = budget };
        var start = new StartRun
        {
            RunId = runId,
            Template = $"{record.Definition.Template.Name}@{record.Definition.Template.Version}",
            Inputs = record.Definition.Inputs,
            Model = record.Definition.Model,
            RequestedBy = "test",
        };
        await using (var scope = _provider.CreateAsyncScope())
        {
            var options = scope.ServiceProvider.GetRequiredService<IOptions<OrchestratorOptions>>().Value;
            await RunAdmission.StartAsync(record, new RunInput(start), Harness.Bus, scope.ServiceProvider.GetRequiredService<RunEffects>(), options,
                DateTimeOffset.UtcNow, CancellationToken.None);
        }

        _provider.GetRequiredService<IndexedSagaDictionary<RunRecord>>().Add(new SagaInstance<RunRecord>(record));
        return runId;
    }

    /// <summary>The ExecutePhase messages published for <paramref name="runId"/> so far, after waiting for at least <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<ExecutePhase>> DispatchesAsync(Guid runId, int count)
    {
        await Eventually(() => Dispatched(runId).Count >= count, $"{count} ExecutePhase for the run");
        return Dispatched(runId);
    }

    public async Task<ExecutePhase> DispatchAsync(Guid runId, int number) => (await DispatchesAsync(runId, number))[number - 1];

    public Task SucceedAsync(ExecutePhase dispatch, JsonNode? artifact = null, Usage? usage = null)
    {
        artifact ??= new JsonObject { ["title"] = $"{dispatch.PhaseKey} #{dispatch.Attempt}" };
        return Harness.Bus.Publish(new PhaseSucceeded
        {
            RunId = dispatch.RunId,
            PhaseKey = dispatch.PhaseKey,
            Attempt = dispatch.Attempt,
            ExecutionId = dispatch.ExecutionId,
            Artifact = artifact,
            ArtifactDigest = Digest.Of(artifact),
            Usage = usage ?? new Usage { InputTokens = 10, OutputTokens = 5, CostUsd = 0.01m },
            StartedAt = DateTimeOffset.UtcNow,
            EndedAt = DateTimeOffset.UtcNow,
            WorkerId = "test",
        });
    }

    public Task FailAsync(ExecutePhase dispatch, FailureKind kind, params string[] errors) =>
        Harness.Bus.Publish(new PhaseAttemptFailed
        {
            RunId = dispatch.RunId,
            PhaseKey = dispatch.PhaseKey,
            Attempt = dispatch.Attempt,
            ExecutionId = dispatch.ExecutionId,
            Kind = kind,
            Errors = errors,
            Artifact = kind == FailureKind.InvalidArtifact ? new JsonObject { ["wrong"] = true } : null,
            StartedAt = DateTimeOffset.UtcNow,
            EndedAt = DateTimeOffset.UtcNow,
        });

    public async Task<RunRecord> WaitForStateAsync(Guid runId, State state)
    {
        var found = await Saga.Exists(runId, _ => state, TimeSpan.FromSeconds(10));
        found.ShouldNotBeNull($"the run never reached {state.Name}; it is {Saga.Sagas.ContainsInState(runId, Machine, Machine.Running)} / {Record(runId)?.CurrentState}");
        return Record(runId)!;
    }

    /// <summary>The run as the saga repository holds it (admission stores it there, so it exists before the saga sees a message).</summary>
    public RunRecord? Record(Guid runId) => _provider.GetRequiredService<IndexedSagaDictionary<RunRecord>>()[runId]?.Instance;

    public async Task<IReadOnlyList<T>> PublishedAsync<T>(Func<T, bool> match, int count = 1)
        where T : class
    {
        await Eventually(() => Published(match).Count >= count, $"{count} {typeof(T).Name}");
        return Published(match);
    }

    /// <summary>Waits until the run has recorded <paramref name="eventType"/> <paramref name="count"/> times.</summary>
    public Task EventAsync(Guid runId, string eventType, int count = 1) =>
        Eventually(() => Journal.EventTypes(runId).Count(t => t == eventType) >= count, $"{count}× {eventType}");

    /// <summary>The ExecutePhase messages published for <paramref name="runId"/> so far, without waiting.</summary>
    public List<ExecutePhase> Dispatched(Guid runId) => Published<ExecutePhase>(m => m.RunId == runId);

    private List<T> Published<T>(Func<T, bool> match)
        where T : class =>
        Harness.Published.Select<T>().Select(m => m.Context.Message).Where(match).ToList();

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
