using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Messaging.Outbox;
using RunMesh.Report.Persistence;
using RunMesh.Report.Reports;

namespace RunMesh.Report.Extensions;

/// <summary>The report service's own wiring: its database and its bus subscription.</summary>
internal static class ReportExtensions
{
    public static WebApplicationBuilder AddReport(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ReportDbContext>();
        builder.AddServiceBus(bus =>
        {
            // Its only consumer is idempotent and runs outside the inbox/outbox (see RunFinishedConsumer). The outbox stays
            // registered: its delivery service sends any stored message left undelivered in the database, and its
            // cleanup removes old inbox rows.
            bus.AddPostgresOutbox<ReportDbContext>();
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.UsePostgresOutbox<ReportDbContext>(context));
            // A queue of its own: the approval service consumes RunFinished too (see ApprovalExtensions).
            bus.AddConsumer<RunFinishedConsumer>().Endpoint(e => e.Name = RunFinishedConsumer.EndpointName);
        });
        return builder;
    }
}
