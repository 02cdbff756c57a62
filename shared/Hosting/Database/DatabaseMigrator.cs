using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RunMesh.Hosting.Database;

/// <summary>
/// Applies the service's EF Core migrations when it starts, before the bus and the HTTP server start (hosted
/// services start in order), so nothing touches an unmigrated schema. While the database is unreachable it keeps
/// trying with backoff — the service does not listen yet, which probes read as "not ready" — so a service may
/// start before PostgreSQL does.
/// </summary>
internal sealed partial class DatabaseMigrator<TDbContext>(
    IServiceScopeFactory scopes,
    MigrationState<TDbContext> state,
    TimeProvider clock,
    ILogger<DatabaseMigrator<TDbContext>> logger) : IHostedService
    where TDbContext : DbContext
{
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
                await db.Database.MigrateAsync(cancellationToken);
                state.MarkApplied();
                LogMigrated(logger, typeof(TDbContext).Name);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && IsTransient(ex))
            {
                LogRetry(logger, typeof(TDbContext).Name, attempt, delay.TotalMilliseconds, ex.Message);
                await Task.Delay(delay, clock, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxDelay.Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Connection problems are worth waiting out; a broken migration is not.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is Npgsql.NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException
        || (ex.InnerException is not null && IsTransient(ex.InnerException));

    [LoggerMessage(Level = LogLevel.Information, Message = "Database of {DbContext} is migrated")]
    private static partial void LogMigrated(ILogger logger, string dbContext);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Database of {DbContext} unreachable (attempt {Attempt}); retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, string dbContext, int attempt, double delayMs, string reason);
}

/// <summary>Whether the migrations of <typeparamref name="TDbContext"/> have been applied in this process.</summary>
internal sealed class MigrationState<TDbContext>
{
    private volatile bool _applied;

    public bool Applied => _applied;

    public void MarkApplied() => _applied = true;
}

internal sealed class MigrationHealthCheck<TDbContext>(MigrationState<TDbContext> state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Applied
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("migrations not applied yet"));
}
