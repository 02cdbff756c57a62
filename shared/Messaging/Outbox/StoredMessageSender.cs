using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging;

namespace RunMesh.Messaging.Outbox;

/// <summary>The outcome of sending one inbox row's or bus outbox's stored messages.</summary>
internal readonly record struct SendOutcome(int Sent, bool Faulted, bool Drained, long? LastSequenceNumber);

/// <summary>Replays stored rows to the broker through MassTransit's own outbox send pipe, in sequence order.</summary>
internal sealed partial class StoredMessageSender(IBus bus, ILogger logger)
{
    /// <summary>
    /// Sends up to <paramref name="limit"/> of <paramref name="rows"/> (fetched as limit + 1, to know whether more
    /// remain) and stops at the first failure, so a later message never overtakes an earlier one.
    /// </summary>
    public async Task<SendOutcome> SendInOrderAsync(IReadOnlyList<OutboxMessage> rows, int limit, TimeSpan sendTimeout, CancellationToken cancellationToken)
    {
        var sent = 0;
        long? last = null;
        foreach (var row in rows.Take(limit))
        {
            if (!await TrySendAsync(row, sendTimeout, cancellationToken))
            {
                return new SendOutcome(sent, Faulted: true, Drained: false, last);
            }

            last = row.SequenceNumber;
            sent++;
        }

        return new SendOutcome(sent, Faulted: false, Drained: rows.Count <= limit, last);
    }

    private async Task<bool> TrySendAsync(OutboxMessage row, TimeSpan sendTimeout, CancellationToken cancellationToken)
    {
        if (row.DestinationAddress is null)
        {
            LogNoDestination(logger, row.SequenceNumber, row.MessageId);
            return true;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(sendTimeout);
            var message = new StoredOutboxMessage(row, SystemTextJsonMessageSerializer.Instance);
            var endpoint = await bus.GetSendEndpoint(row.DestinationAddress);
            await endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, row.DestinationAddress), timeout.Token);
            return true;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogSendFaulted(logger, row.SequenceNumber, row.MessageId, exception.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {SequenceNumber} ({MessageId}) has no destination; skipped")]
    private static partial void LogNoDestination(ILogger logger, long sequenceNumber, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox send of message {SequenceNumber} ({MessageId}) faulted; will retry after a backoff: {Reason}")]
    private static partial void LogSendFaulted(ILogger logger, long sequenceNumber, Guid messageId, string reason);
}
