using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Tests.Integration;

/// <summary>
/// The real phase worker as a process on its own vhost of the shared RabbitMQ, and a test bus on the same vhost that
/// publishes commands and records every <see cref="PhaseSucceeded"/> and <see cref="PhaseAttemptFailed"/> with its MessageId.
/// </summary>
public sealed class WorkerProcessFixture : IAsyncLifetime
{
    public const string WorkerId = "phase-worker-under-test";

    private IHost? _bus;

    public IsolatedVirtualHost Broker { get; private set; } = null!;

    public ServiceProcess Worker { get; private set; } = null!;

    public ResultLog Results { get; } = new();

    public IBus Bus => _bus!.Services.GetRequiredService<IBus>();

    /// <summary>GETs a path of the RabbitMQ management API (e.g. to see how the worker's queues are declared).</summary>
    public static async Task<JsonNode> ManagementGetAsync(string path)
    {
        var servers = await TestServers.GetAsync();
        var userInfo = Uri.UnescapeDataString(servers.RabbitMqManagement.UserInfo.Length > 0 ? servers.RabbitMqManagement.UserInfo : servers.RabbitMq.UserInfo);
        using var client = new HttpClient { BaseAddress = new UriBuilder(servers.RabbitMqManagement) { UserName = "", Password = "", Path = "/" }.Uri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        return JsonNode.Parse(await client.GetStringAsync(new Uri(path, UriKind.Relative)))!;
    }

    public async Task InitializeAsync()
    {
        var servers = await TestServers.GetAsync();
        Broker = await IsolatedVirtualHost.CreateAsync(servers, "phaseworker");
        Worker = new ServiceProcess("phase-worker", "PhaseWorker", new Dictionary<string, string>
        {
            ["RabbitMq:Url"] = Broker.AmqpUrl.AbsoluteUri,
            ["PhaseWorker:WorkerId"] = WorkerId,
            ["PhaseWorker:ConcurrentExecutions"] = "4",
        });
        Worker.Start();
        await Worker.WaitUntilReadyAsync();
        _bus = await StartBusAsync();
    }

    public async Task DisposeAsync()
    {
        if (_bus is not null)
        {
            await _bus.StopAsync();
            _bus.Dispose();
        }

        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
    }

    private async Task<IHost> StartBusAsync()
    {
        // MassTransit keeps its log context in an AsyncLocal: start from a clean one.
        LogContext.Current = null;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Results);
        builder.Services.AddMassTransit(bus =>
        {
            bus.AddConsumer<ResultConsumer>();
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var amqp = Broker.AmqpUrl;
                var credentials = Uri.UnescapeDataString(amqp.UserInfo).Split(':', 2);
                rabbit.Host(amqp.Host, (ushort)amqp.Port, Uri.UnescapeDataString(amqp.AbsolutePath.TrimStart('/')), host =>
                {
                    host.Username(credentials[0]);
                    host.Password(credentials.Length > 1 ? credentials[1] : "");
                });
                rabbit.ReceiveEndpoint("phase-worker-tests-results", endpoint => endpoint.ConfigureConsumer<ResultConsumer>(context));
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(30);
            options.StopTimeout = TimeSpan.FromSeconds(15);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

/// <summary>A result the worker published, as received.</summary>
public sealed record ReceivedResult(Guid? MessageId, PhaseSucceeded? Succeeded, PhaseAttemptFailed? Failed)
{
    public Guid ExecutionId => Succeeded?.ExecutionId ?? Failed!.ExecutionId;
}

/// <summary>Every result received, in arrival order.</summary>
public sealed class ResultLog
{
    private readonly ConcurrentQueue<ReceivedResult> _results = new();

    public void Add(ReceivedResult result) => _results.Enqueue(result);

    public IReadOnlyList<ReceivedResult> For(Guid executionId) => [.. _results.Where(result => result.ExecutionId == executionId)];

    /// <summary>Waits until <paramref name="count"/> results for the execution have arrived.</summary>
    public Task<IReadOnlyList<ReceivedResult>> WaitForAsync(Guid executionId, int count = 1, TimeSpan? timeout = null, Func<string>? diagnostics = null) =>
        Eventually.UntilAsync(
            () => Task.FromResult(For(executionId)),
            results => results.Count >= count,
            timeout ?? TimeSpan.FromSeconds(30),
            $"{count} result(s) for execution {executionId}",
            diagnostics);
}

internal sealed class ResultConsumer(ResultLog log) : IConsumer<PhaseSucceeded>, IConsumer<PhaseAttemptFailed>
{
    public Task Consume(ConsumeContext<PhaseSucceeded> context)
    {
        log.Add(new ReceivedResult(context.MessageId, context.Message, null));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<PhaseAttemptFailed> context)
    {
        log.Add(new ReceivedResult(context.MessageId, null, context.Message));
        return Task.CompletedTask;
    }
}
