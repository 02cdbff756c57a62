using RunMesh.Hosting.Database;
using RunMesh.Hosting.Messaging;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Extensions;

/// <summary>The orchestrator service's own wiring: its database and its bus subscriptions.</summary>
internal static class OrchestratorExtensions
{
    public static WebApplicationBuilder AddOrchestrator(this WebApplicationBuilder builder)
    {
        builder.AddServiceDatabase<OrchestratorDbContext>();
        builder.AddServiceBus();
        return builder;
    }
}
