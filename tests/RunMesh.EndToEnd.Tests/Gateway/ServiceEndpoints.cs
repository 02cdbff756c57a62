using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using RunMesh.Hosting;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary>
/// A service's endpoints with their metadata, as its host maps them: <c>AddServiceDefaults</c> and the service's own
/// <c>Add{Service}()</c> on a fresh builder (its configuration from the service's folder), then
/// <c>MapDefaultEndpoints()</c> and each of its <c>Map…</c> features. The host is built, never started, so nothing
/// connects anywhere; what the endpoints declare is what the running service declares.
/// </summary>
internal static class ServiceEndpoints
{
    private static readonly Dictionary<string, (string Project, string[] Features)> s_services = new(StringComparer.Ordinal)
    {
        ["orchestrator"] = ("Orchestrator", ["MapRunQueriesApi", "MapRunCommandsApi", "MapTemplatesApi"]),
        ["approval"] = ("Approval", ["MapApprovalsApi"]),
        ["report"] = ("Report", ["MapReportsApi"]),
        ["planner"] = ("Planner", ["MapStudiesApi"]),
        ["gateway"] = ("Gateway", ["MapSessionApi", "MapApiDocuments", "MapGatewayProxy"]),
    };

    private static readonly Dictionary<string, Lazy<IReadOnlyList<RouteEndpoint>>> s_endpoints =
        s_services.Keys.ToDictionary(name => name, name => new Lazy<IReadOnlyList<RouteEndpoint>>(() => Read(name)));

    /// <summary>The route endpoints of <paramref name="service"/> (<c>orchestrator</c>, <c>approval</c>, <c>report</c>, <c>planner</c>, <c>gateway</c>).</summary>
    public static IReadOnlyList<RouteEndpoint> Of(string service) => s_endpoints[service].Value;

    private static List<RouteEndpoint> Read(string name)
    {
        var (project, features) = s_services[name];
        var assembly = Assembly.Load($"RunMesh.{project}");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "ApiDocuments",
            ApplicationName = assembly.GetName().Name,
            ContentRootPath = Path.Combine(RepositoryPaths.Root, "services", project),
        });
        using var signingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Database"] = $"Host=127.0.0.1;Port=1;Database=runmesh_{name};Username=api-documents",
            ["RabbitMq:Url"] = "amqp://api-documents:api-documents@127.0.0.1:1/runmesh",
            // The gateway's forwarding (its routes' endpoints) needs a signing key to be built; none is used.
            ["Gateway:Signing:PrivateKeyPem"] = signingKey.ExportPkcs8PrivateKeyPem(),
        });
        builder.AddServiceDefaults(name);
        OwnWiring(assembly).Invoke(null, [builder]);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        foreach (var feature in features)
        {
            var map = assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                .Single(m => m.Name == feature && m.GetParameters() is [{ ParameterType: var p }] && p.IsAssignableFrom(typeof(WebApplication)));
            map.Invoke(null, [app]);
        }

        return ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().ToList();
    }

    /// <summary>The service's <c>Add{Service}(WebApplicationBuilder)</c> in its <c>Extensions</c> folder.</summary>
    private static MethodInfo OwnWiring(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => t.Namespace == $"{assembly.GetName().Name}.Extensions")
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Single(m => m.Name.StartsWith("Add", StringComparison.Ordinal)
                && m.GetParameters() is [{ ParameterType: var p }] && p == typeof(WebApplicationBuilder));
}
