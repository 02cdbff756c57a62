using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Report.Persistence;

namespace RunMesh.Report.Extensions;

/// <summary>The report service's own wiring: its database and its bus subscriptions.</summary>
internal static class ReportExtensions
{
    public static WebApplicationBuilder AddReport(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ReportDbContext>();
        builder.AddServiceBus();
        return builder;
    }
}
