using MassTransit;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Messaging;
using RunMesh.PhaseWorker.Execution;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Executors.Http;
using RunMesh.PhaseWorker.Executors.Mock;
using RunMesh.PhaseWorker.Executors.OpenAI;

namespace RunMesh.PhaseWorker.Extensions;

/// <summary>The phase worker's wiring. It is stateless: a broker connection and executors, no database.</summary>
internal static class PhaseWorkerExtensions
{
    private const long MaxOpenAIResponseBytes = 16L * 1024 * 1024;

    public static WebApplicationBuilder AddPhaseWorker(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PhaseWorkerOptions>()
            .BindConfiguration(PhaseWorkerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddPhaseExecutors();
        builder.Services.AddSingleton<RunningExecutions>();
        builder.Services.AddSingleton<ArtifactSchemaCache>();
        builder.Services.AddSingleton<PhaseExecution>();

        builder.AddServiceBus(bus =>
        {
            bus.AddConsumer<ExecutePhaseConsumer, ExecutePhaseConsumerDefinition>();
            bus.AddConsumer<CancelPhaseConsumer, CancelPhaseConsumerDefinition>();
        });
        return builder;
    }

    /// <summary>The executors and what they need: the price table and one HTTP client per HTTP-based executor.</summary>
    public static IServiceCollection AddPhaseExecutors(this IServiceCollection services)
    {
        services.AddSingleton<PriceTable>();
        services.AddSingleton<IPhaseExecutor, MockExecutor>();
        services.AddSingleton<IPhaseExecutor, OpenAIExecutor>();
        services.AddSingleton<HttpEgressPolicy>();
        services.AddSingleton<IPhaseExecutor, HttpExecutor>();
        services.AddSingleton<PhaseExecutors>();

        services.AddHttpClient(HttpResponses.OpenAIClient, (provider, client) =>
        {
            var options = provider.GetRequiredService<IOptions<PhaseWorkerOptions>>().Value;
            client.Timeout = TimeSpan.FromSeconds(options.OpenAI.RequestTimeoutSeconds);
            client.MaxResponseContentBufferSize = MaxOpenAIResponseBytes;
        });
        services.AddHttpClient(HttpResponses.HttpClient, (provider, client) =>
        {
            var options = provider.GetRequiredService<IOptions<PhaseWorkerOptions>>().Value;
            client.Timeout = TimeSpan.FromSeconds(options.Http.RequestTimeoutSeconds);
            // Room for whitespace around an artifact at the limit; beyond it the request fails (executor_error).
            client.MaxResponseContentBufferSize = Math.Max(4L * options.MaxArtifactBytes, 1024 * 1024);
        })
        // A phase's URL comes from a template: follow no redirects to somewhere else, connect directly (through a proxy
        // the connect-time address check would see the proxy, not the destination), and check every resolved address.
        .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = HttpEgressPolicy.ConnectAsync,
        });
        return services;
    }
}
