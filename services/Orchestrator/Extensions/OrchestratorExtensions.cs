using MassTransit;
using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Saga;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs;
using RunMesh.Orchestrator.Runs.Admission;
using RunMesh.Orchestrator.Runs.Api;
using RunMesh.Orchestrator.Runs.Children;
using RunMesh.Orchestrator.Runs.Journal;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Extensions;

/// <summary>The orchestrator's own wiring: its database, the run saga with the Postgres inbox/outbox, the deadline scan.</summary>
internal static class OrchestratorExtensions
{
    /// <summary>The run saga's queue.</summary>
    private const string RunsEndpoint = "runs";

    public static WebApplicationBuilder AddOrchestrator(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<OrchestratorDbContext>();
        builder.Services.ConfigureDbContext<OrchestratorDbContext>(
            db => db.AddInterceptors(DeferredStatements.Interceptor), ServiceLifetime.Singleton);
        builder.Services.AddOptions<OrchestratorOptions>()
            .BindConfiguration(OrchestratorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<IRunJournal, EfRunJournal>();
        builder.Services.AddScoped<RunEffects>();
        builder.Services.AddSingleton<ChildArtifactSchemas>();
        builder.Services.AddScoped<TemplateRegistry>();
        builder.Services.AddSingleton<ResolvedTemplates>();
        builder.Services.AddScoped<RunAdmission>();
        builder.Services.AddScoped<RunCancellation>();
        builder.Services.AddScoped<ChildRunClaims>();
        builder.Services.AddScoped<RunRetry>();
        builder.Services.AddScoped<IdempotencyKeys>();

        builder.AddServiceBus(bus =>
        {
            bus.AddPostgresOutbox<OrchestratorDbContext>(outbox => outbox.UseBusOutbox());
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.UsePostgresOutbox<OrchestratorDbContext>(context));
            bus.AddConsumer<StartRunConsumer>();
            bus.AddConsumer<ChildRunFinishedBatcher>((_, c) => c.Options<BatchOptions>(ChildRunFinishedBatcher.Configure))
                .Endpoint(e => e.Name = ChildRunFinishedBatcher.EndpointName);
            bus.AddConsumer<DescribeTemplateConsumer>().Endpoint(e => e.Name = DescribeTemplateConsumer.EndpointName);
            // On the saga's queue: ReportReady keeps arriving where it always has.
            bus.AddConsumer<ReportReadyConsumer>().Endpoint(e => e.Name = RunsEndpoint);
            bus.AddSagaStateMachine<RunStateMachine, RunRecord>()
                .Endpoint(e => e.Name = RunsEndpoint)
                .PostgresRepository(r => r.ExistingDbContext<OrchestratorDbContext>());
        });

        builder.Services.AddHostedService<DeadlineScan>();
        builder.Services.AddSingleton<RunEventSignals>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RunEventSignals>());
        return builder;
    }
}
