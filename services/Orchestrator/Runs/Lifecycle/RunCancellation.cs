using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs.Children;

namespace RunMesh.Orchestrator.Runs.Lifecycle;

/// <summary>
/// <c>POST /api/runs/{runId}/cancel</c>: the cancel is decided and written in the request's own transaction, on the run
/// row locked as a saga pass locks it — the same <see cref="RunDecider"/> decision a <see cref="CancelRun"/> from the
/// bus gets (<c>run.cancelled</c>, <c>CancelPhase</c> for an open attempt, the children cancelled, <see cref="RunFinished"/>
/// through the outbox). So the answer says the state the run is in, <c>cancelled</c>, not the one it had before a
/// message that has still to be applied (and that a result arriving first could still overtake).
/// </summary>
public sealed class RunCancellation(
    OrchestratorDbContext db, RunEffects effects, ChildArtifactSchemas childArtifactSchemas, IOptions<OrchestratorOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Cancels run <paramref name="runId"/> unless it has ended: <c>Cancelled</c> is whether it was, <c>State</c> its state
    /// afterwards (<c>Cancelled</c>, or the terminal state it had already reached, which nothing changed).
    /// </summary>
    public async Task<(bool Cancelled, RunState State)> CancelAsync(Guid runId, string? reason, string? requestedBy, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        await CancelIfExistsAsync(runId, reason, requestedBy, publish, cancellationToken)
        ?? throw new InvalidOperationException($"There is no run {runId}.");

    /// <summary>
    /// As <see cref="CancelAsync"/>, or null when no run has the id <paramref name="runId"/>. Inside a consumer it joins
    /// the consumer's transaction (its inbox and outbox); from the API it runs in a transaction of its own.
    /// </summary>
    public async Task<(bool Cancelled, RunState State)?> CancelIfExistsAsync(
        Guid runId, string? reason, string? requestedBy, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (transaction)
        {
            var run = await db.Runs.FromSqlInterpolated($"SELECT *, xmin FROM runs WHERE run_id = {runId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
            if (run is null || RunStates.IsTerminal(run.State))
            {
                return run is null ? null : (false, run.State);
            }

            var now = clock.GetUtcNow();
            var input = new RunInput(new CancelRun { RunId = runId, Reason = reason, RequestedBy = requestedBy })
            {
                ChildArtifactSchemas = await childArtifactSchemas.OfAsync(run.Definition, cancellationToken),
            };
            var decision = RunDecider.Decide(run, input, options.Value, now);
            await effects.ApplyAsync(run, decision, publish, now, cancellationToken);
            run.State = decision.To;
            await db.SaveChangesAsync(cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            return (true, run.State);
        }
    }
}
