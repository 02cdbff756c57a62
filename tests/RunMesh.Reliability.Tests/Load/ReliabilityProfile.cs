namespace RunMesh.Reliability.Tests.Load;

/// <summary>
/// How hard the suite pushes: the CI profile (default) keeps every fault to about a hundred runs so the whole project
/// finishes in about ten minutes on a 2-core machine; <c>RUNMESH_RELIABILITY_PROFILE=long</c> submits more runs per
/// fault and makes the soak a 30-minute steady load.
/// </summary>
public sealed record ReliabilityProfile(string Name, int RunsPerFault, int InFlight, TimeSpan SoakDuration, double SoakRunsPerSecond)
{
    /// <summary>The environment variable that selects the profile.</summary>
    public const string Variable = "RUNMESH_RELIABILITY_PROFILE";

    /// <summary>The profile of this test process.</summary>
    public static ReliabilityProfile Current { get; } =
        string.Equals(Environment.GetEnvironmentVariable(Variable), "long", StringComparison.OrdinalIgnoreCase)
            ? new ReliabilityProfile("long", RunsPerFault: 400, InFlight: 16, SoakDuration: TimeSpan.FromMinutes(30), SoakRunsPerSecond: 3)
            : new ReliabilityProfile("ci", RunsPerFault: 110, InFlight: 12, SoakDuration: TimeSpan.FromSeconds(40), SoakRunsPerSecond: 2);

    /// <summary>How long the runs of one fault may take to reach a terminal state, everything included.</summary>
    public TimeSpan SettleTimeout => TimeSpan.FromSeconds(120 + (RunsPerFault * 1.5));
}
