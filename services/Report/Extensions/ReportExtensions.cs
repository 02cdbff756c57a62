using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Messaging.Outbox;
using RunMesh.Report.Persistence;
using RunMesh.Report.Reports;

namespace RunMesh.Report.Extensions;

/// <summary>The report service's own wiring: its database and its bus subscriptions behind the Postgres inbox/outbox.</summary>
internal static class ReportExtensions
{
    public static WebApplicationBuilder AddReport(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ReportDbContext>();
        builder.AddServiceBus(bus =>
        {
            bus.AddPostgresOutbox<ReportDbContext>();
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.UsePostgresOutbox<ReportDbContext>(context));
            // A queue of its own: the approval service consumes RunFinished too (see ApprovalExtensions).
            bus.AddConsumer<RunFinishedConsumer>().Endpoint(e => e.Name = "report-run-finished");
        });
        return builder;
    }
}
