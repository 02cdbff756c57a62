namespace RunMesh.Benchmarks.Runs.RawChain;

// The raw chain's messages: one per hop kind a run makes (ExecutePhase, PhaseSucceeded, RunFinished, ReportReady),
// carrying only what routing needs.

/// <summary>Admission or saga → worker (RunMesh: <c>ExecutePhase</c>).</summary>
public sealed record ChainExecute
{
    public required Guid RunId { get; init; }

    public required int Phase { get; init; }
}

/// <summary>Worker → saga (RunMesh: <c>PhaseSucceeded</c>).</summary>
public sealed record ChainSucceeded
{
    public required Guid RunId { get; init; }

    public required int Phase { get; init; }
}

/// <summary>Saga → report and approval (RunMesh: <c>RunFinished</c>).</summary>
public sealed record ChainFinished
{
    public required Guid RunId { get; init; }
}

/// <summary>Report → saga (RunMesh: <c>ReportReady</c>).</summary>
public sealed record ChainReportReady
{
    public required Guid RunId { get; init; }
}
