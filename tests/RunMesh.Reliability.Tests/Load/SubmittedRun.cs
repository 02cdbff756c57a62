namespace RunMesh.Reliability.Tests.Load;

/// <summary>A run the gateway accepted, and the terminal state (JSON name) it must reach.</summary>
public sealed record SubmittedRun(Guid RunId, string Template, string ExpectedState);
