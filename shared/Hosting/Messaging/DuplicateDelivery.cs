using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace RunMesh.Hosting.Messaging;

/// <summary>
/// Test-only fault: after MassTransit has put a message on the broker, the same bytes (same exchange, routing key,
/// properties and therefore the same <c>MessageId</c>) are published once more over a connection of its own, so
/// every send and publish of this process arrives twice — what a publisher that retries after a lost confirm does.
/// On only when <see cref="ConfigurationKey"/> is <c>true</c>; the reliability suite uses it to prove that the
/// receivers' inboxes make every copy a no-op. A copy that cannot be published is logged and dropped.
/// </summary>
internal sealed partial class DuplicateDelivery(IOptions<RabbitMqOptions> options, ILogger<DuplicateDelivery> logger)
    : ISendObserver, IPublishObserver, IAsyncDisposable
{
    /// <summary>The configuration key that turns the fault on (off unless set to <c>true</c>).</summary>
    public const string ConfigurationKey = "Testing:DuplicatePublishes";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;
    private long _copies;

    public Task PreSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context)
        where T : class => CopyAsync(context);

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    // A publish straight from a consumer (not through an outbox, which sends) reaches only the publish observers.
    public Task PostPublish<T>(PublishContext<T> context)
        where T : class => CopyAsync(context);

    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }

    private async Task CopyAsync<T>(SendContext<T> context)
        where T : class
    {
        // A publish context is a proxy of the transport's send context, which it hands out as a payload.
        var rabbit = context as RabbitMqSendContext ?? (context.TryGetPayload<RabbitMqSendContext>(out var inner) ? inner : null);
        if (rabbit is not MassTransit.Context.MessageSendContext<T> serialized || rabbit.TryGetPayload<Copied>(out _))
        {
            return;
        }

        rabbit.GetOrAddPayload(() => new Copied());

        var routingKey = rabbit is RoutingKeySendContext keyed ? keyed.RoutingKey ?? "" : "";
        var properties = new BasicProperties(rabbit.BasicProperties);
        var body = serialized.Body.GetBytes();
        await _gate.WaitAsync();
        try
        {
            var channel = await ChannelAsync();
            await channel.BasicPublishAsync(rabbit.Exchange, routingKey, mandatory: false, properties, body);
            var copies = Interlocked.Increment(ref _copies);
            LogCopied(logger, context.MessageId, rabbit.Exchange, copies);
        }
        catch (Exception ex)
        {
            LogCopyFailed(logger, context.MessageId, rabbit.Exchange, ex.Message);
            await CloseAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IChannel> ChannelAsync()
    {
        if (_channel is { IsOpen: true } channel)
        {
            return channel;
        }

        await CloseAsync();
        var broker = options.Value.Parse();
        var factory = new ConnectionFactory
        {
            HostName = broker.Host,
            Port = broker.Port,
            VirtualHost = broker.VirtualHost,
            UserName = broker.Username,
            Password = broker.Password,
            ClientProvidedName = "runmesh-duplicate-delivery",
        };
        _connection = await factory.CreateConnectionAsync();
        _channel = await _connection.CreateChannelAsync();
        return _channel;
    }

    private async Task CloseAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        catch (Exception ex)
        {
            LogCloseFailed(logger, ex.Message);
        }

        _channel = null;
        _connection = null;
    }

    /// <summary>Marks a transport context whose message was copied (a publish may reach both kinds of observer).</summary>
    private sealed class Copied;

    [LoggerMessage(Level = LogLevel.Information, Message = "Duplicate delivery: published message {MessageId} to {Exchange} a second time ({Copies} copies so far)")]
    private static partial void LogCopied(ILogger logger, Guid? messageId, string exchange, long copies);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Duplicate delivery: the copy of {MessageId} to {Exchange} failed: {Reason}")]
    private static partial void LogCopyFailed(ILogger logger, Guid? messageId, string exchange, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Duplicate delivery: closing its connection failed: {Reason}")]
    private static partial void LogCloseFailed(ILogger logger, string reason);
}
