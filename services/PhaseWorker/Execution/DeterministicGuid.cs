using RunMesh.Hashing;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// The worker's name-based ids (<see cref="NameBasedId"/>, UUIDv5 in the RunMesh namespace): it derives its result
/// messages' MessageIds from the <c>ExecutionId</c>, so a result published twice (a redelivered <c>ExecutePhase</c>) is recognised as one by the orchestrator's inbox.
/// </summary>
internal static class DeterministicGuid
{
    /// <summary>The namespace of RunMesh's own names (<see cref="NameBasedId.RunMeshNamespace"/>).</summary>
    public static Guid RunMeshNamespace => NameBasedId.RunMeshNamespace;

    /// <summary>The version-5 UUID of <paramref name="name"/> (UTF-8) in <paramref name="namespaceId"/>.</summary>
    public static Guid Create(Guid namespaceId, string name) => NameBasedId.Of(namespaceId, name);

    /// <summary>The MessageId of <c>PhaseSucceeded</c> for an execution: the UUID of the execution id's text.</summary>
    public static Guid ForSucceeded(Guid executionId) => Create(RunMeshNamespace, executionId.ToString("D"));

    /// <summary>The MessageId of <c>PhaseAttemptFailed</c> for an execution: the UUID of <c>failed:{executionId}</c>.</summary>
    public static Guid ForFailed(Guid executionId) => Create(RunMeshNamespace, $"failed:{executionId:D}");
}
