using RunMesh.Approval.Approvals;
using RunMesh.Approval.Persistence;
using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Approval.Extensions;

/// <summary>
/// The approval service's own wiring: its database, its consumers with the Postgres inbox/outbox (RunFinished's
/// idempotent consumer without it), the expiry scan.
/// </summary>
internal static class ApprovalExtensions
{
    public static WebApplicationBuilder AddApproval(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ApprovalDbContext>();
        builder.Services.AddOptions<ApprovalOptions>()
            .BindConfiguration(ApprovalOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<ApprovalDecisions>();

        builder.AddServiceBus(bus =>
        {
            bus.AddPostgresOutbox<ApprovalDbContext>(outbox => outbox.UseBusOutbox());
            // RunFinishedConsumer is idempotent and runs outside the inbox/outbox; ApprovalRequestedConsumer runs inside it.
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.UsePostgresOutbox<ApprovalDbContext>(context));
            // Every service that subscribes to an event needs a queue of its own: the report service consumes
            // RunFinished too, and one shared "run-finished" queue would split the events between the two services.
            bus.AddConsumer<ApprovalRequestedConsumer>().Endpoint(e => e.Name = "approval-requested");
            bus.AddConsumer<RunFinishedConsumer>().Endpoint(e => e.Name = RunFinishedConsumer.EndpointName);
        });

        builder.Services.AddHostedService<ApprovalExpiryScan>();
        return builder;
    }
}
