namespace RunMesh.Benchmarks.FanOut;

/// <summary>
/// One side of a round. <see cref="ClientMs"/>: the client's stopwatch, from just before the first POST until the
/// poller saw the side done. The rest is from the orchestrator's <c>runs</c> rows, in ms after the side's first run
/// was created (the parent, or the client's first run): when the first and the last of the N one-phase runs were
/// admitted, when the last of them ended, and when the side was done (the parent ended; the client's last run ended).
/// </summary>
internal sealed record SideTiming(double ClientMs, double FirstAdmittedMs, double LastAdmittedMs, double LastEndedMs, double ServerMs);

/// <summary>
/// The parent's own events, in ms after it was created: the first and last <c>child.started</c>, the last
/// <c>child.finished</c>; and how long after a child's end the parent recorded its <c>child.finished</c> (median, max).
/// </summary>
internal sealed record ChildEvents(double FirstStartedMs, double LastStartedMs, double LastFinishedMs, double FinishLagMedianMs, double FinishLagMaxMs);

/// <summary>A measured round: both sides, which went first, and the parent's child events.</summary>
internal sealed record FanOutRound(int Round, string First, SideTiming Parent, SideTiming Client, ChildEvents ParentEvents)
{
    /// <summary>Parent time ÷ client time, both by the client's stopwatch.</summary>
    public double Ratio => Math.Round(Parent.ClientMs / Client.ClientMs, 3);
}
