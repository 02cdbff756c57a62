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
    public async Task<(bool Cancelled, RunState State)> CancelAsync(Guid runId, string? reason, string? requestedBy, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var run = await db.Runs.FromSqlInterpolated($"SELECT *, xmin FROM runs WHERE run_id = {runId} FOR UPDATE").SingleAsync(cancellationToken);
        if (RunStates.IsTerminal(run.State))
        {
            return (false, run.State);
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
        await transaction.CommitAsync(cancellationToken);
        return (true, run.State);
    }
}
