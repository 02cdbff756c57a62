using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunMesh.PhaseWorker.Execution;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Extensions;

namespace RunMesh.PhaseWorker.Tests.Infrastructure;

/// <summary>
/// The worker's executors and execution, wired as in the service but without a bus. The <c>http</c> executor may call
/// loopback on any port (the tests' fake servers), as in the local scripts; a test's own configuration can change that.
/// </summary>
internal static class WorkerServices
{
    public static readonly string[] LoopbackHosts = ["127.0.0.1:*", "localhost:*"];

    public static ServiceProvider Build(Action<PhaseWorkerOptions>? configure = null, Action<IServiceCollection>? extra = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<PhaseWorkerOptions>().Configure(options =>
        {
            options.Http.AllowedHosts = [.. LoopbackHosts];
            configure?.Invoke(options);
        });
        services.AddPhaseExecutors();
        services.AddSingleton<RunningExecutions>();
        services.AddSingleton<ArtifactSchemaCache>();
        services.AddSingleton<PhaseExecution>();
        extra?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static IPhaseExecutor Executor(this IServiceProvider services, string name) =>
        services.GetRequiredService<PhaseExecutors>().TryGet(name, out var executor)
            ? executor
            : throw new InvalidOperationException($"no executor {name}");
}
