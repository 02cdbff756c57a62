using MassTransit;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Runs.Lifecycle;

namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>
/// A <see cref="CancelRun"/> for an id that names no run (the saga found no row): a parent cancels each child it
/// started, and a child's <see cref="StartRun"/> may still be on its way to admission. The cancel takes the id in
/// <c>run_id_claims</c> (<see cref="ChildRunClaims"/>) so that admission refuses the child; if the child's admission took
/// it first, the child exists by now (the insert waited for its transaction) and is cancelled here, in this message's
/// transaction. A cancel of an id that is neither (an alias, a start already refused) changes nothing.
/// </summary>
internal static class CancelBeforeStart
{
    public static async Task HandleAsync(ConsumeContext<CancelRun> context)
    {
        var cancel = context.Message;
        var claims = context.GetServiceOrCreateInstance<ChildRunClaims>();
        var reason = cancel.Reason ?? $"cancelled by {cancel.RequestedBy ?? "a CancelRun"}";
        if (await claims.ClaimForCancelAsync(cancel.RunId, reason, context.CancellationToken))
        {
            return;
        }

        await context.GetServiceOrCreateInstance<RunCancellation>()
            .CancelIfExistsAsync(cancel.RunId, cancel.Reason, cancel.RequestedBy, context, context.CancellationToken);
    }
}
