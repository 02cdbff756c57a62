using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace RunMesh.Messaging.Outbox;

/// <summary>
/// Records deliveries off their critical path: a pass that sent its stored messages hands the inbox row's delivered
/// mark over and acknowledges at once, a scope that sent its committed bus outbox hands the outbox over, and this
/// writer stores every mark that arrived meanwhile in one round trip (deleting the delivered messages and bus outboxes).
/// After the first mark it waits <see cref="PostgresOutboxOptions.DeliveryMarkDelay"/> for others to join it: under load
/// that turns a commit per two or three marks into one per dozens.
/// Losing marks (a crash, a failed write) loses nothing: the delivery service sends unmarked messages again after
/// <see cref="PostgresOutboxOptions.SweepAfter"/>, and the receivers' inboxes drop the copies — the at-least-once
/// delivery the outbox promises anyway.
/// </summary>
internal sealed partial class DeliveryMarkWriter<TDbContext>(
    IServiceScopeFactory scopes,
    IOptionsMonitor<PostgresOutboxOptions> optionsMonitor,
    ILogger<DeliveryMarkWriter<TDbContext>> logger,
    IServiceProvider provider) : BackgroundService
    where TDbContext : DbContext
{
    private readonly TimeSpan _delay = optionsMonitor.Get(PostgresOutboxOptions.NameFor(typeof(TDbContext))).DeliveryMarkDelay;
    private readonly TimeProvider _clock = provider.GetService<TimeProvider>() ?? TimeProvider.System;

    /// <summary>Most marks written in one round trip.</summary>
    private const int MaxBatch = 512;

    private readonly Channel<DeliveryMark> _marks = Channel.CreateUnbounded<DeliveryMark>(
        new UnboundedChannelOptions { SingleReader = true });

    private volatile bool _accepting = true;

    /// <summary>
    /// Hands a mark over. Before the writer runs or after it stopped, the mark is written by the caller instead,
    /// so nothing waits for a writer that is not there.
    /// </summary>
    public async Task MarkAsync(DbContext db, InboxDeliveryMark mark, CancellationToken cancellationToken)
    {
        if (_accepting && _marks.Writer.TryWrite(new DeliveryMark(mark, null)))
        {
            return;
        }

        await InboxDeliveryMark.WriteAsync(db, [mark], cancellationToken);
    }

    /// <summary>
    /// Hands a sent bus outbox over for deletion. Unlike <see cref="MarkAsync"/> the caller has no DbContext: without a
    /// running writer the outbox stays, and the delivery service sends it again after SweepAfter (and deletes it).
    /// </summary>
    public bool TryForgetBusOutbox(Guid outboxId) => _accepting && _marks.Writer.TryWrite(new DeliveryMark(null, outboxId));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<DeliveryMark>(MaxBatch);
        try
        {
            while (await _marks.Reader.WaitToReadAsync(stoppingToken))
            {
                if (_delay > TimeSpan.Zero)
                {
                    await Task.Delay(_delay, _clock, stoppingToken);
                }

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
        await WriteAvailableAsync(new List<DeliveryMark>(MaxBatch), cancellationToken);
    }

    private async Task WriteAvailableAsync(List<DeliveryMark> batch, CancellationToken cancellationToken)
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
                // Inbox marks and sent bus outboxes alike: one batch, one round trip.
                var commands = new List<NpgsqlBatchCommand>(4);
                var inboxes = batch.Where(mark => mark.Inbox is not null).Select(mark => mark.Inbox!.Value).ToList();
                if (inboxes.Count > 0)
                {
                    commands.AddRange(InboxDeliveryMark.Commands(db, inboxes));
                }

                var outboxes = batch.Where(mark => mark.BusOutbox is not null).Select(mark => mark.BusOutbox!.Value).ToArray();
                if (outboxes.Length > 0)
                {
                    commands.AddRange(BusOutboxDeletion.Commands(db, outboxes));
                }

                await ContextBatch.ExecuteAsync(db, commands, cancellationToken);
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

    /// <summary>One delivery to record: an inbox row's mark, or a sent bus outbox.</summary>
    private readonly record struct DeliveryMark(InboxDeliveryMark? Inbox, Guid? BusOutbox);
}
