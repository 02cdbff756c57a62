using System.Security.Cryptography;
using System.Text;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// Name-based UUIDs (RFC 4122 / RFC 9562 version 5: SHA-1 of a namespace and a name): the same name always gives the
/// same id. The worker derives its result messages' MessageIds from the <c>ExecutionId</c> this way, so a result
/// published twice (a redelivered <c>ExecutePhase</c>) is recognised as one by the orchestrator's inbox.
/// </summary>
internal static class DeterministicGuid
{
    /// <summary>The namespace of RunMesh's own names. Fixed forever: changing it changes every derived id.</summary>
    public static readonly Guid RunMeshNamespace = new("d8d4085f-8a17-4111-a09c-f166bf94d137");

    /// <summary>The version-5 UUID of <paramref name="name"/> (UTF-8) in <paramref name="namespaceId"/>.</summary>
    public static Guid Create(Guid namespaceId, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        // RFC 4122 works on the network byte order of the namespace UUID.
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what version-5 UUIDs are defined with; this is naming, not security.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        var uuid = hash[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x50); // version 5
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(uuid, bigEndian: true);
    }

    /// <summary>The MessageId of <c>PhaseSucceeded</c> for an execution: the UUID of the execution id's text.</summary>
    public static Guid ForSucceeded(Guid executionId) => Create(RunMeshNamespace, executionId.ToString("D"));

    /// <summary>The MessageId of <c>PhaseAttemptFailed</c> for an execution: the UUID of <c>failed:{executionId}</c>.</summary>
    public static Guid ForFailed(Guid executionId) => Create(RunMeshNamespace, $"failed:{executionId:D}");
}
