using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Writes the delivered marks of consumed messages off their critical path: a pass that sent its stored messages
/// hands the mark over and acknowledges at once, and this writer stores the marks of every message that finished
/// meanwhile in one round trip. Losing marks (a crash, a failed write) loses nothing: the delivery service sends
/// unmarked messages again after <see cref="PostgresOutboxOptions.SweepAfter"/>, and the receivers' inboxes drop
/// the copies — the at-least-once delivery the outbox promises anyway.
/// </summary>
internal sealed partial class InboxDeliveryMarkWriter<TDbContext>(
    IServiceScopeFactory scopes,
    ILogger<InboxDeliveryMarkWriter<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    /// <summary>Most marks written in one round trip.</summary>
    private const int MaxBatch = 512;

    private readonly Channel<InboxDeliveryMark> _marks = Channel.CreateUnbounded<InboxDeliveryMark>(
        new UnboundedChannelOptions { SingleReader = true });

    private volatile bool _accepting = true;

    /// <summary>
    /// Hands a mark over. Before the writer runs or after it stopped, the mark is written by the caller instead,
    /// so nothing waits for a writer that is not there.
    /// </summary>
    public async Task MarkAsync(DbContext db, InboxDeliveryMark mark, CancellationToken cancellationToken)
    {
        if (_accepting && _marks.Writer.TryWrite(mark))
        {
            return;
        }

        await InboxDeliveryMark.WriteAsync(db, [mark], cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<InboxDeliveryMark>(MaxBatch);
        try
        {
            while (await _marks.Reader.WaitToReadAsync(stoppingToken))
            {
                await WriteAvailableAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // Marks handed over before the stop are still written; later ones are written by their callers.
        _accepting = false;
        _marks.Writer.TryComplete();
        await WriteAvailableAsync(new List<InboxDeliveryMark>(MaxBatch), cancellationToken);
    }

    private async Task WriteAvailableAsync(List<InboxDeliveryMark> batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _marks.Reader.TryRead(out var mark))
            {
                batch.Add(mark);
            }

            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
                await InboxDeliveryMark.WriteAsync(db, batch, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogWriteFailed(logger, batch.Count, exception.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Count} delivered marks could not be written; the delivery service will send those messages again: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string reason);
}
