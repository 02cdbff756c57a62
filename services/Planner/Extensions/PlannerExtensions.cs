using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Messaging.Outbox;
using RunMesh.Planner.Persistence;

namespace RunMesh.Planner.Extensions;

/// <summary>The planner's own wiring: its database, the study saga and its consumers behind the Postgres inbox/outbox.</summary>
internal static class PlannerExtensions
{
    public static WebApplicationBuilder AddPlanner(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<PlannerDbContext>();
        builder.AddServiceBus(bus =>
        {
            bus.AddPostgresOutbox<PlannerDbContext>(outbox => outbox.UseBusOutbox());
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.UsePostgresOutbox<PlannerDbContext>(context));
        });
        return builder;
    }
}
