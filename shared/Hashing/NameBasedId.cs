using System.Security.Cryptography;
using System.Text;

namespace RunMesh.Hashing;

/// <summary>
/// Name-based UUIDs (version 5, RFC 9562 §5.5: SHA-1 of a namespace and a name): the same name always gives the same
/// id, so an id computed twice — by a redelivered message, a restarted service or another system — is the same id.
/// RunMesh names its derived ids in <see cref="RunMeshNamespace"/>: attempts' execution ids, approval request ids,
/// child run ids (<c>{ExecutionId}:{index}</c>), study ids and the runs of a study, and the phase worker's result message ids.
/// </summary>
public static class NameBasedId
{
    /// <summary>The RunMesh namespace: <c>d8d4085f-8a17-4111-a09c-f166bf94d137</c>. Fixed forever: changing it changes every derived id.</summary>
    public static readonly Guid RunMeshNamespace = new("d8d4085f-8a17-4111-a09c-f166bf94d137");

    /// <summary>The version-5 UUID of <paramref name="name"/> (UTF-8) in <see cref="RunMeshNamespace"/>.</summary>
    public static Guid Of(string name) => Of(RunMeshNamespace, name);

    /// <summary>The version-5 UUID of <paramref name="name"/> (UTF-8) in <paramref name="namespaceId"/>.</summary>
    public static Guid Of(Guid namespaceId, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 specifies for version 5: an identifier, not a security boundary.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        var id = hash[..16];
        id[6] = (byte)((id[6] & 0x0F) | 0x50); // version 5
        id[8] = (byte)((id[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(id, bigEndian: true);
    }
}
