using System.Diagnostics;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using RunMesh.Hosting.Identity;

namespace RunMesh.Hosting.Diagnostics;

/// <summary>
/// <c>GET /diagnostics/ping/{service}</c>: sends <see cref="MeshPing"/> to another service's
/// <c>{service}-diagnostics</c> queue and reports who answered. Each bus-connected service answers on its own queue.
/// Needs role admin (the gateway's identity token).
/// </summary>
public static class MeshPingExtensions
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    /// <summary>The queue on which <paramref name="service"/> answers pings.</summary>
    public static string QueueName(string service) => $"{service}-diagnostics";

    internal static void AddMeshPing(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<MeshPingConsumer>().ExcludeFromConfigureEndpoints();

    internal static void ConfigureMeshPingEndpoint(
        this IRabbitMqBusFactoryConfigurator rabbit, IBusRegistrationContext context, string service) =>
        // Default queue settings on purpose: a sender declares the queue it sends to with the defaults, and
        // RabbitMQ refuses a second declaration with other flags. Pings carry a time-to-live (the request timeout).
        rabbit.ReceiveEndpoint(QueueName(service), endpoint =>
        {
            // Pings are sent to this queue, never published: no binding to a MeshPing exchange.
            endpoint.ConfigureConsumeTopology = false;
            endpoint.PublishFaults = false;
            endpoint.ConfigureConsumer<MeshPingConsumer>(context);
        });

    /// <summary>Maps <c>GET /diagnostics/ping/{service}</c>.</summary>
    public static IEndpointRouteBuilder MapMeshPing(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/diagnostics/ping/{service:regex(^[a-z][a-z0-9-]{{0,40}}$)}", PingAsync)
            .WithName("PingService")
            .WithTags("Diagnostics")
            .RequireAuthorization(Roles.Admin)
            .ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<IResult> PingAsync(
        string service, IClientFactory clients, IOptions<ServiceIdentity> identity, CancellationToken cancellationToken)
    {
        var client = clients.CreateRequestClient<MeshPing>(new Uri($"queue:{QueueName(service)}"), s_timeout);
        try
        {
            var response = await client.GetResponse<MeshPong>(new MeshPing { From = identity.Value.Name }, cancellationToken);
            return TypedResults.Ok(new
            {
                from = identity.Value.Name,
                to = response.Message.Service,
                responderProcessId = response.Message.ProcessId,
                requesterTraceId = Activity.Current?.TraceId.ToString(),
                responderTraceId = response.Message.TraceId,
            });
        }
        catch (RequestTimeoutException)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status504GatewayTimeout,
                title: $"No answer from '{service}' within {s_timeout.TotalSeconds:0} s.",
                extensions: new Dictionary<string, object?> { ["code"] = "service_unreachable" });
        }
    }
}

internal sealed class MeshPingConsumer(IOptions<ServiceIdentity> identity) : IConsumer<MeshPing>
{
    public Task Consume(ConsumeContext<MeshPing> context) =>
        context.RespondAsync(new MeshPong
        {
            Service = identity.Value.Name,
            ProcessId = Environment.ProcessId,
            TraceId = Activity.Current?.TraceId.ToString(),
        });
}
