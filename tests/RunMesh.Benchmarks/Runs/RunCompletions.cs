using System.Collections.Concurrent;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RunMesh.Benchmarks.Runs;

/// <summary>
/// Learns that runs ended the way an outside system does (docs/bus-contract.md): a queue of its own bound to
/// the <c>RunMesh.Contracts:RunFinished</c> exchange of the mesh's vhost. A client awaits its run and is released as
/// soon as the orchestrator's outbox delivers the run's <see cref="RunMesh.Contracts.RunFinished"/>: no polling of the
/// orchestrator's database, whose PostgreSQL CPU would count as RunMesh's and hold each closed-loop client back.
/// </summary>
internal sealed class RunCompletions : IAsyncDisposable
{
    private const string RunFinishedExchange = "RunMesh.Contracts:RunFinished";

    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> _awaited = new();
    private long _deliveries;

    private RunCompletions(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    /// <summary>RunFinished envelopes this subscriber received (the broker's deliveries to it, which the profile takes out).</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    public static async Task<RunCompletions> StartAsync(Uri amqpUrl)
    {
        var factory = new ConnectionFactory { Uri = amqpUrl, ClientProvidedName = "runmesh-benchmark-completions" };
        var connection = await factory.CreateConnectionAsync();
        try
        {
            var channel = await connection.CreateChannelAsync();
            // The services declare the exchange when they start (the report and approval queues are bound to it).
            await channel.ExchangeDeclarePassiveAsync(RunFinishedExchange);
            var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, RunFinishedExchange, "");
            var completions = new RunCompletions(connection, channel);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                completions.OnRunFinished(delivery.Body);
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
            return completions;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The run's terminal state name (<c>Completed</c>, <c>Failed</c>, …), once its RunFinished arrives.</summary>
    public Task<string> WaitAsync(Guid runId, CancellationToken cancellationToken) =>
        Awaited(runId).Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);

    private TaskCompletionSource<string> Awaited(Guid runId) =>
        _awaited.GetOrAdd(runId, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private void OnRunFinished(ReadOnlyMemory<byte> body)
    {
        Interlocked.Increment(ref _deliveries);
        using var envelope = JsonDocument.Parse(body);
        var message = envelope.RootElement.GetProperty("message");
        var runId = message.GetProperty("runId").GetGuid();
        var state = message.GetProperty("state").GetString() ?? "";
        // The message may arrive before the client awaits it (a run faster than the POST's answer): keep it for WaitAsync.
        var stateName = state.Length == 0 ? state : string.Concat(char.ToUpperInvariant(state[0]).ToString(), state.AsSpan(1));
        Awaited(runId).TrySetResult(stateName);
    }

    /// <summary>Forgets a run that was awaited and seen (keeps the dictionary small over thousands of runs).</summary>
    public void Forget(Guid runId) => _awaited.TryRemove(runId, out _);

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
