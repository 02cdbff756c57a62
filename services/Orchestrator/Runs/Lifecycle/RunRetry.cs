using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs.Children;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>What <see cref="RunRetry.RetryAsync"/> did.</summary>
public abstract record RetryOutcome
{
    private RetryOutcome()
    {
    }

    /// <summary>The run was retried; it is in <see cref="State"/> now (<c>running</c>, or <c>failed</c> again at once, e.g. over its budget).</summary>
    public sealed record Retried(RunState State) : RetryOutcome;

    /// <summary>The run did not fail: it is <see cref="State"/>.</summary>
    public sealed record NotFailed(RunState State) : RetryOutcome;

    /// <summary>This failure was retried already (by a retry accepted earlier and not applied yet).</summary>
    public sealed record AlreadyRetried : RetryOutcome;

    /// <summary>An identical run (<see cref="RunId"/>, the same input bundle) started meanwhile; the failed run cannot take it back.</summary>
    public sealed record IdenticalRunExists(Guid RunId) : RetryOutcome;
}

/// <summary>
/// <c>POST /api/runs/{runId}/retry</c>: the retry is decided and written in the request's own transaction, on the run
/// row locked as a saga pass locks it — the same <see cref="RunDecider"/> decision a <see cref="RetryRun"/> from the bus
/// gets (<c>run.retried</c>, the failed phase's next attempt sent to the workers through the outbox). So the answer
/// says the state the run is in, <c>running</c>, and a client that reads the run next never sees it <c>failed</c> from
/// before its retry. As for a bus retry, the run must take its input bundle back, and one retry of a failure is taken.
/// </summary>
public sealed class RunRetry(
    OrchestratorDbContext db, RunEffects effects, ChildArtifactSchemas childArtifactSchemas, IOptions<OrchestratorOptions> options, TimeProvider clock)
{
    /// <summary>Retries run <paramref name="runId"/> if it failed.</summary>
    public async Task<RetryOutcome> RetryAsync(Guid runId, string? requestedBy, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var run = await db.Runs.FromSqlInterpolated($"SELECT *, xmin FROM runs WHERE run_id = {runId} FOR UPDATE").SingleAsync(cancellationToken);
        if (run.State != RunState.Failed)
        {
            return new RetryOutcome.NotFailed(run.State);
        }

        if (!await effects.ClaimRetryAsync(run, cancellationToken))
        {
            return new RetryOutcome.AlreadyRetried();
        }

        if (!await effects.HoldInputBundleAsync(run, cancellationToken))
        {
            var holder = await db.InputBundleClaims.AsNoTracking()
                .Where(c => c.InputBundleHash == run.Definition.InputBundleHash).Select(c => c.RunId).SingleAsync(cancellationToken);
            return new RetryOutcome.IdenticalRunExists(holder);
        }

        var now = clock.GetUtcNow();
        var input = new RunInput(new RetryRun { RunId = runId, RequestedBy = requestedBy })
        {
            InputBundleHeld = true,
            ChildArtifactSchemas = await childArtifactSchemas.OfAsync(run.Definition, cancellationToken),
        };
        var decision = RunDecider.Decide(run, input, options.Value, now);
        await effects.ApplyAsync(run, decision, publish, now, cancellationToken);
        run.State = decision.To;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RetryOutcome.Retried(run.State);
    }
}
