using MassTransit;
using RunMesh.Contracts;
using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Messaging.Outbox;
using RunMesh.Messaging.Saga;
using RunMesh.Planner.Persistence;
using RunMesh.Planner.Studies;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Extensions;

/// <summary>
/// The planner's own wiring: its database, the study saga behind the Postgres inbox/outbox, the relay that picks the
/// study runs' ends out of every <c>RunFinished</c>, and the admission of studies.
/// </summary>
internal static class PlannerExtensions
{
    /// <summary>The study saga's queue.</summary>
    private const string StudiesEndpoint = "studies";

    public static WebApplicationBuilder AddPlanner(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<PlannerDbContext>();
        builder.Services.AddOptions<StudyLimits>()
            .BindConfiguration("Planner")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<StudyProgress>();
        builder.Services.AddScoped<StudyAdmission>();

        builder.AddServiceBus(bus =>
        {
            bus.AddPostgresOutbox<PlannerDbContext>(outbox => outbox.UseBusOutbox());
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.UsePostgresOutbox<PlannerDbContext>(context));
            bus.AddConsumer<StartStudyConsumer>().Endpoint(e => e.Name = StartStudyConsumer.EndpointName);
            bus.AddConsumer<StudyRunFinishedRelay>((_, c) => c.Options<BatchOptions>(StudyRunFinishedRelay.Configure)).Endpoint(e => e.Name = StudyRunFinishedRelay.EndpointName);
            bus.AddSagaStateMachine<StudyStateMachine, StudyRecord>()
                .Endpoint(e => e.Name = StudiesEndpoint)
                .PostgresRepository(r => r.ExistingDbContext<PlannerDbContext>());
            bus.AddRequestClient<DescribeTemplate>(RequestTimeout.After(s: 15));
        });
        return builder;
    }
}
