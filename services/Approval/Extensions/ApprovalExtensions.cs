using RunMesh.Approval.Persistence;
using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;

namespace RunMesh.Approval.Extensions;

/// <summary>The approval service's own wiring: its database and its bus subscriptions.</summary>
internal static class ApprovalExtensions
{
    public static WebApplicationBuilder AddApproval(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<ApprovalDbContext>();
        builder.AddServiceBus();
        return builder;
    }
}
