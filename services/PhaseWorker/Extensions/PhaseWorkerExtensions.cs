using RunMesh.Hosting.Messaging;

namespace RunMesh.PhaseWorker.Extensions;

/// <summary>The phase worker's wiring. It is stateless: a broker connection and executors, no database.</summary>
internal static class PhaseWorkerExtensions
{
    public static WebApplicationBuilder AddPhaseWorker(this WebApplicationBuilder builder)
    {
        builder.AddServiceBus();
        return builder;
    }
}
