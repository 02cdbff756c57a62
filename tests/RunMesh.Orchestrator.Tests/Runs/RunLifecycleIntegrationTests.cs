using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RunMesh.Contracts;
using RunMesh.Messaging.Outbox;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Templates;
using RunMesh.Orchestrator.Tests.Persistence;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Orchestrator.Tests.Runs;

/// <summary>
/// The run saga in the real orchestrator process, on PostgreSQL and RabbitMQ, with the real phase worker: each run is
/// started as other systems start one, by a <see cref="StartRun"/> of a registered template.
/// </summary>
public sealed class RunLifecycleIntegrationTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly List<IAsyncDisposable> _owned = [];
    private MigratedOrchestratorDatabase _database = null!;
    private IsolatedVirtualHost _broker = null!;
    private IBusControl _bus = null!;
    private int _templates;

    public async Task InitializeAsync()
    {
        var servers = await TestServers.GetAsync();
        _database = await MigratedOrchestratorDatabase.CreateAsync("lifecycle");
        _broker = await IsolatedVirtualHost.CreateAsync(servers, "lifecycle");
        _bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(_broker.AmqpUrl));
        await _bus.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _bus.StopAsync();
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        await _broker.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<ServiceProcess> StartAsync(string name, string project, Dictionary<string, string>? extra = null)
    {
        var configuration = new Dictionary<string, string> { ["RabbitMq:Url"] = _broker.AmqpUrl.ToString() };
        if (project == "Orchestrator")
        {
            configuration["ConnectionStrings:Database"] = _database.ConnectionString;
        }

        foreach (var (key, value) in extra ?? [])
        {
            configuration[key] = value;
        }

        var service = new ServiceProcess(name, project, configuration);
        _owned.Add(service);
        service.Start();
        await service.WaitUntilReadyAsync(s_timeout);
        return service;
    }

    private OrchestratorDbContext Open() => _database.Open();

    /// <summary>Registers a template of <paramref name="phases"/> and starts a run of it with a <see cref="StartRun"/>.</summary>
    private async Task<Guid> AdmitAsync(params PhasePlan[] phases)
    {
        var name = $"lifecycle-{_templates++}";
        await using (var db = Open())
        {
            var registration = await new TemplateRegistry(db, TimeProvider.System, new ResolvedTemplates())
                .RegisterAsync(TemplateOf(name, phases).ToJsonString(), "application/json", "test", CancellationToken.None);
            registration.Outcome.ShouldBe(TemplateRegistrationOutcome.Created, string.Join("; ", registration.Problems ?? []));
        }

        var runId = NewId.NextGuid();
        await _bus.Publish(new StartRun
        {
            RunId = runId,
            Template = $"{name}@1",
            Inputs = new JsonObject { ["feature"] = "dark mode" },
            Model = new JsonObject { ["name"] = "mock" },
            RequestedBy = "test",
        });
        return runId;
    }

    /// <summary>A template whose phases are <paramref name="phases"/> (inputs: a <c>feature</c> string).</summary>
    private static JsonObject TemplateOf(string name, PhasePlan[] phases) => new()
    {
        ["name"] = name,
        ["version"] = 1,
        ["inputs"] = new JsonObject
        {
            ["schema"] = JsonNode.Parse("""{"type":"object","required":["feature"],"properties":{"feature":{"type":"string"}}}"""),
        },
        ["phases"] = new JsonArray(phases.Select(phase => (JsonNode)new JsonObject
        {
            ["key"] = phase.Key,
            ["executor"] = phase.Executor,
            ["settings"] = phase.Settings.DeepClone(),
            ["instructions"] = phase.Instructions,
            ["artifact"] = new JsonObject { ["schema"] = phase.ArtifactSchema.DeepClone() },
            ["repairAttempts"] = phase.RepairAttempts,
            ["retry"] = new JsonObject
            {
                ["maxAttempts"] = phase.MaxAttempts,
                ["backoffSeconds"] = phase.BackoffSeconds,
                ["backoffMultiplier"] = phase.BackoffMultiplier,
            },
            ["timeoutSeconds"] = phase.TimeoutSeconds,
        }).ToArray()),
        ["timeoutSeconds"] = 600,
    };

    private async Task<RunRecord> WaitForStateAsync(Guid runId, RunState state, ServiceProcess orchestrator) =>
        (await Eventually.UntilAsync(
            async () =>
            {
                await using var db = Open();
                return await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId);
            },
            run => run?.State == state,
            s_timeout,
            $"run {runId} to be {state}",
            () => orchestrator.LogTail()))!;

    private async Task<List<string>> EventTypesAsync(Guid runId)
    {
        await using var db = Open();
        var events = await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Seq).ToListAsync();
        events.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i), "the event log has gaps");
        return events.Select(e => e.Type).ToList();
    }

    [Fact]
    public async Task A_report_is_recorded_once_per_generation_and_an_older_or_repeated_one_changes_nothing()
    {
        var orchestrator = await StartAsync("orchestrator", "Orchestrator");
        var runId = NewId.NextGuid();
        await using (var db = Open())
        {
            // A run that has finished twice, as a saga pass leaves it; no event yet, so the log must stay gap-free from 1.
            var run = RunSagaHarness.PendingRun(runId, RunSagaHarness.Phase("spec"));
            run.State = RunState.Completed;
            run.Generation = 2;
            db.Runs.Add(run);
            await db.SaveChangesAsync();
        }

        ReportReady Report(int generation, string url) =>
            new() { RunId = runId, Generation = generation, ReportUrl = url, ManifestDigest = "sha256:" + new string('d', 64) };
        var consumedBefore = await orchestrator.MessagesConsumedAsync(nameof(ReportReady));
        var messageIds = new List<Guid>();
        Task Publish(ReportReady report)
        {
            var messageId = NewId.NextGuid();
            messageIds.Add(messageId);
            return _bus.Publish(report, context => context.MessageId = messageId);
        }

        await Publish(Report(2, "/second"));
        await Eventually.UntilAsync(async () => { await using var db = Open(); return (await db.Runs.AsNoTracking().SingleAsync(r => r.CorrelationId == runId)).ReportGeneration; },
            generation => generation == 2, s_timeout, "generation 2's report to be recorded", () => orchestrator.LogTail());
        await Publish(Report(1, "/late-first"));
        await Publish(Report(2, "/second-again"));
        await Publish(Report(3, "/third"));
        await Publish(Report(3, "/unknown-run") with { RunId = NewId.NextGuid() });
        await Eventually.UntilAsync(() => orchestrator.MessagesConsumedAsync(nameof(ReportReady)), count => count >= consumedBefore + 5, s_timeout,
            "the orchestrator to consume all five ReportReady messages", () => orchestrator.LogTail());

        // The consume counter moves as the consumer returns, which may be before its statement's commit is visible
        // here: wait for the one message that changes the row.
        await Eventually.UntilAsync(async () => { await using var db = Open(); return (await db.Runs.AsNoTracking().SingleAsync(r => r.CorrelationId == runId)).ReportGeneration; },
            generation => generation == 3, s_timeout, "generation 3's report to be committed", () => orchestrator.LogTail());

        await using (var db = Open())
        {
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.CorrelationId == runId);
            run.ReportGeneration.ShouldBe(3);
            run.ReportUrl.ShouldBe("/third");
            run.EventSeq.ShouldBe(2);
            var reports = await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Seq).ToListAsync();
            reports.Select(e => (e.Seq, e.Type, e.IdempotencyKey)).ShouldBe([(1L, RunEventTypes.ReportReady, "report:2"), (2L, RunEventTypes.ReportReady, "report:3")]);
            reports[1].Payload["reportUrl"]!.GetValue<string>().ShouldBe("/third");
        }

        // Nothing failed on the way: recorded again, a repeated generation would break the event log's unique key.
        (await _broker.QueueDepthAsync("runs_error") ?? 0).ShouldBe(0);
        // The consumer is idempotent on its own and runs outside the inbox, although it shares the saga's queue.
        await using (var db = Open())
        {
            (await db.Set<InboxState>().CountAsync(i => messageIds.Contains(i.MessageId))).ShouldBe(0);
        }
    }

    [Fact]
    public async Task An_admitted_run_completes_through_the_real_worker_with_a_repair()
    {
        var orchestrator = await StartAsync("orchestrator", "Orchestrator");
        await StartAsync("phase-worker", "PhaseWorker");
        var review = RunSagaHarness.Phase("review") with
        {
            Instructions = "Review {{phases.spec.output.title}}",
            Settings = new JsonObject { ["invalidAttempts"] = 1 },
        };

        var runId = await AdmitAsync(RunSagaHarness.Phase("spec"), review);

        var run = await WaitForStateAsync(runId, RunState.Completed, orchestrator);
        run.Generation.ShouldBe(1);
        run.Phases.Select(p => p.Attempts.Count).ShouldBe([1, 2]);
        run.Usage.InputTokens.ShouldBeGreaterThan(0);
        var types = await EventTypesAsync(runId);
        types[..2].ShouldBe([RunEventTypes.RunCreated, RunEventTypes.RunStarted]);
        types.ShouldContain(RunEventTypes.PhaseAttemptFailed);
        types[^1].ShouldBe(RunEventTypes.RunCompleted);
        await using var db = Open();
        (await db.RunDeadlines.CountAsync(d => d.RunId == runId)).ShouldBe(0);
        (await db.RunArtifacts.CountAsync(a => a.RunId == runId && a.Accepted)).ShouldBe(2);
    }

    [Fact]
    public async Task A_phase_no_worker_takes_times_out_through_the_deadline_scan()
    {
        var orchestrator = await StartAsync("orchestrator", "Orchestrator", new() { ["Orchestrator:ScheduleToStartSeconds"] = "1" });
        var lonely = RunSagaHarness.Phase("spec", maxAttempts: 1) with { TimeoutSeconds = 1 };

        var runId = await AdmitAsync(lonely);

        var run = await WaitForStateAsync(runId, RunState.Failed, orchestrator);
        run.Error!.Code.ShouldBe(ErrorCodes.PhaseTimeout);
        (await EventTypesAsync(runId)).ShouldContain(RunEventTypes.PhaseTimedOut);
    }

    [Fact]
    public async Task A_phase_whose_instructions_grow_past_the_limit_through_an_earlier_artifact_fails_the_run_unsent()
    {
        var orchestrator = await StartAsync("orchestrator", "Orchestrator", new() { ["Orchestrator:MaxRenderedInstructionsBytes"] = "4096" });
        await StartAsync("phase-worker", "PhaseWorker");
        // The mock executor writes a title of at least minLength characters: a 5,000-character artifact.
        var longTitle = JsonNode.Parse("""{"type":"object","required":["title"],"properties":{"title":{"type":"string","minLength":5000}}}""")!.AsObject();
        var spec = RunSagaHarness.Phase("spec") with { ArtifactSchema = longTitle, SchemaDigest = Hashing.Digest.Of(longTitle) };
        var review = RunSagaHarness.Phase("review") with { Instructions = "Review {{phases.spec.output}}" };

        var runId = await AdmitAsync(spec, review);

        var run = await WaitForStateAsync(runId, RunState.Failed, orchestrator);
        run.Error!.Code.ShouldBe(ErrorCodes.InstructionsTooLarge);
        run.Error.PhaseKey.ShouldBe("review");
        run.Error.Message.ShouldContain("over the limit of 4096 bytes");
        run.Phases.Select(p => p.Attempts.Count).ShouldBe([1, 0], "the review phase was never sent");
        var types = await EventTypesAsync(runId);
        types.Count(t => t == RunEventTypes.PhaseDispatched).ShouldBe(1);
        types[^1].ShouldBe(RunEventTypes.RunFailed);
    }
}
