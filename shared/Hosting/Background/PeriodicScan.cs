using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RunMesh.Hosting.Background;

/// <summary>
/// A background loop over durable work kept in a table (deadlines, expiries): every <see cref="Interval"/> it runs
/// <see cref="ScanOnceAsync"/>, at once again when a full batch came back (more may be due), and a failed pass is
/// logged and tried again at the next interval — the work stays in its table, so nothing is lost by a failure or a
/// restart.
/// </summary>
public abstract partial class PeriodicScan(TimeProvider clock, ILogger logger) : BackgroundService
{
    /// <summary>The clock passes are timed with (and what is "now" for the scan).</summary>
    protected TimeProvider Clock { get; } = clock;

    /// <summary>The scan's logger.</summary>
    protected ILogger Logger { get; } = logger;

    /// <summary>The pause between passes that found less than a full batch.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The most items one pass handles.</summary>
    protected abstract int BatchSize { get; }

    /// <summary>Handles what is due now, at most <see cref="BatchSize"/> items; returns how many.</summary>
    public abstract Task<int> ScanOnceAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ScanOnceAsync(stoppingToken) >= BatchSize)
                {
                    continue;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Includes cancellations that are not ours (a command timeout while the database restarts): an
                // exception escaping ExecuteAsync would stop the whole host.
                LogScanFailed(Logger, GetType().Name, ex);
            }

            await Task.Delay(Interval, Clock, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Scan} failed; it tries again at its next pass")]
    private static partial void LogScanFailed(ILogger logger, string scan, Exception exception);
}
