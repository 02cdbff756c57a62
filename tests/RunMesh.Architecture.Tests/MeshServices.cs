using System.Reflection;
using System.Text.RegularExpressions;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace RunMesh.Architecture.Tests;

/// <summary>A service of the mesh as its code registers it: the queues it consumes, its database, its own REST routes.</summary>
public sealed record MeshService(
    string Name,
    IReadOnlyList<ConsumerEndpoint> Queues,
    string? Database,
    IReadOnlyList<string> Routes);

/// <summary>A queue a service consumes from and the message types (exchanges) bound to it.</summary>
public sealed record ConsumerEndpoint(string Name, IReadOnlyList<Type> Messages);

/// <summary>
/// Reads each service's registrations the way its host builds them: <c>Add{Service}()</c> on a fresh
/// <see cref="WebApplicationBuilder"/>, then MassTransit's consumer and saga registrations, the endpoint names they
/// resolve to, and the routes of the service's <c>Map…Api()</c> features. Nothing is started, no server is needed.
/// </summary>
public static class MeshServices
{
    /// <summary>The six services: name (as in <c>AddServiceDefaults</c>) and assembly.</summary>
    public static readonly IReadOnlyList<(string Name, string Assembly)> All =
    [
        ("gateway", "RunMesh.Gateway"),
        ("orchestrator", "RunMesh.Orchestrator"),
        ("phase-worker", "RunMesh.PhaseWorker"),
        ("approval", "RunMesh.Approval"),
        ("report", "RunMesh.Report"),
        ("planner", "RunMesh.Planner"),
    ];

    public static IReadOnlyList<MeshService> Read() => All.Select(s => Read(s.Name, Assembly.Load(s.Assembly))).ToList();

    private static MeshService Read(string name, Assembly assembly)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Architecture" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Database"] = $"Host=127.0.0.1;Port=1;Database=runmesh_{name};Username=architecture",
            ["RabbitMq:Url"] = "amqp://architecture:architecture@127.0.0.1:1/runmesh",
        });
        OwnWiring(assembly).Invoke(null, [builder]);
        var registrations = builder.Services.ToList();
        var app = builder.Build();

        var queues = new List<ConsumerEndpoint>();
        var bus = app.Services.GetService<IBusRegistrationContext>();
        if (bus is not null)
        {
            var formatter = bus.GetRequiredService<IEndpointNameFormatter>();
            foreach (var consumer in Instances<IConsumerRegistration>(registrations).Where(c => c.IncludeInConfigureEndpoints))
            {
                var queue = InstanceNeutral(consumer.GetDefinition(bus).GetEndpointName(formatter));
                queues.Add(new ConsumerEndpoint(queue, ConsumedMessages(consumer.Type)));
            }

            foreach (var saga in Instances<ISagaRegistration>(registrations).Where(s => s.IncludeInConfigureEndpoints))
            {
                var queue = saga.GetDefinition(bus).GetEndpointName(formatter);
                var machine = (StateMachine)bus.GetRequiredService(typeof(SagaStateMachine<>).MakeGenericType(saga.Type));
                var messages = machine.Events.Select(e => e.GetType()).Where(t => t.IsGenericType)
                    .Select(t => t.GetGenericArguments()[0]).ToList();
                queues.Add(new ConsumerEndpoint(queue, messages));
            }
        }

        var merged = queues.GroupBy(q => q.Name)
            .Select(g => new ConsumerEndpoint(g.Key, g.SelectMany(q => q.Messages).Distinct().OrderBy(t => t.Name, StringComparer.Ordinal).ToList()))
            .OrderBy(q => q.Name, StringComparer.Ordinal)
            .ToList();
        var database = registrations.Any(d => d.ServiceType.Name.StartsWith("DbContextOptions", StringComparison.Ordinal))
            ? $"runmesh_{name}"
            : null;
        return new MeshService(name, merged, database, Routes(app, assembly));
    }

    /// <summary>
    /// A queue of one process (named after this machine and process id, e.g. the phase worker's cancel queue) in a
    /// form that is the same on every machine.
    /// </summary>
    private static string InstanceNeutral(string queue)
    {
        var machine = Regex.Replace(Environment.MachineName.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        var suffix = $"-{machine}-{Environment.ProcessId}";
        return queue.EndsWith(suffix, StringComparison.Ordinal) ? queue[..^suffix.Length] + "-{machine}-{pid}" : queue;
    }

    /// <summary>The service's <c>Add{Service}(WebApplicationBuilder)</c> in its <c>Extensions</c> folder.</summary>
    private static MethodInfo OwnWiring(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => t.Namespace == $"{assembly.GetName().Name}.Extensions")
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Single(m => m.Name.StartsWith("Add", StringComparison.Ordinal)
                && m.GetParameters() is [{ ParameterType: var p }] && p == typeof(WebApplicationBuilder));

    private static IEnumerable<T> Instances<T>(IEnumerable<ServiceDescriptor> registrations) =>
        registrations.Where(d => d.ServiceType == typeof(T) && !d.IsKeyedService).Select(d => d.ImplementationInstance).OfType<T>();

    private static List<Type> ConsumedMessages(Type consumer) =>
        consumer.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            // A batch consumer (IConsumer<Batch<T>>) reads T from its queue.
            .Select(m => m.IsGenericType && m.GetGenericTypeDefinition() == typeof(Batch<>) ? m.GetGenericArguments()[0] : m)
            .ToList();

    /// <summary>The routes of every <c>Map…Api</c> feature the service's assembly declares (health, metrics and OpenAPI are common to all).</summary>
    private static List<string> Routes(WebApplication app, Assembly assembly)
    {
        var features = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(m => m.Name.StartsWith("Map", StringComparison.Ordinal) && m.Name.EndsWith("Api", StringComparison.Ordinal)
                && m.GetParameters() is [{ ParameterType: var p }] && p.IsAssignableFrom(typeof(WebApplication)));
        foreach (var feature in features)
        {
            feature.Invoke(null, [app]);
        }

        return ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Select(e => $"{string.Join(", ", e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])} {e.RoutePattern.RawText}")
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
