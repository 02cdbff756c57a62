using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunMesh.Messaging.Outbox;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>A process-like host: the test DbContext, the outbox and a MassTransit bus on the fixture's vhost.</summary>
public static class TestHost
{
    public static async Task<IHost> StartAsync(
        MessagingFixture fixture,
        Action<IBusRegistrationConfigurator> registrations,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator> endpoints,
        Action<PostgresOutboxOptions>? outbox = null,
        Uri? amqpUrl = null,
        string? databaseConnectionString = null,
        Action<IServiceCollection>? services = null)
    {
        // MassTransit keeps its log context in an AsyncLocal; a host started after another was disposed in the same
        // async flow (a restart within one test) would otherwise inherit the disposed host's logger factory.
        LogContext.Current = null;

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var recorder = new LogRecorder();
        builder.Logging.AddProvider(recorder);
        builder.Services.AddSingleton(recorder);
        if (Environment.GetEnvironmentVariable("RUNMESH_TEST_LOGS") is "1")
        {
            builder.Logging.AddSimpleConsole();
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<Observed>();
        builder.Services.AddSingleton<CommitFailureInjector>();
        builder.Services.AddSingleton<StatementRecorder>();
        // Pooled, as every service registers its DbContext: the outbox must not carry state from one lease to the next.
        builder.Services.AddDbContextPool<LedgerDbContext>((services, options) => options
            .UseTestDatabase(databaseConnectionString ?? fixture.Database.ConnectionString)
            .AddInterceptors(services.GetRequiredService<CommitFailureInjector>(), services.GetRequiredService<StatementRecorder>()));
        services?.Invoke(builder.Services);
        builder.Services.AddMassTransit(x =>
        {
            x.AddPostgresOutbox<LedgerDbContext>(o =>
            {
                o.QueryDelay = TimeSpan.FromMilliseconds(200);
                outbox?.Invoke(o);
            });
            registrations(x);
            x.UsingRabbitMq((context, rabbit) =>
            {
                var amqp = amqpUrl ?? fixture.Broker.AmqpUrl;
                var credentials = Uri.UnescapeDataString(amqp.UserInfo).Split(':', 2);
                rabbit.Host(amqp.Host, (ushort)amqp.Port, Uri.UnescapeDataString(amqp.AbsolutePath.TrimStart('/')), host =>
                {
                    host.Username(credentials[0]);
                    host.Password(credentials.Length > 1 ? credentials[1] : "");
                });
                endpoints(context, rabbit);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // Tests publish right after start: the endpoints must be bound by then.
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(30);
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static Observed Observed(this IHost host) => host.Services.GetRequiredService<Observed>();

    public static LogRecorder Logs(this IHost host) => host.Services.GetRequiredService<LogRecorder>();

    public static StatementRecorder Statements(this IHost host) => host.Services.GetRequiredService<StatementRecorder>();

    public static IBus Bus(this IHost host) => host.Services.GetRequiredService<IBus>();

    public static async Task StopAndDisposeAsync(this IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }
}
