using System.Buffers.Binary;
using System.Buffers.Text;

namespace RunMesh.Hosting.Paging;

/// <summary>
/// The keyset position after the last item of a page ordered by <c>(created_at, id)</c> descending — runs, studies.
/// Opaque to clients: base64url of the creation time in ticks and the id. Garbage decodes to <see langword="null"/>.
/// </summary>
public sealed record KeysetCursor(DateTimeOffset CreatedAt, Guid Id)
{
    private const int Size = 8 + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteInt64BigEndian(bytes, CreatedAt.UtcTicks);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static KeysetCursor? Decode(string cursor)
    {
        Span<byte> bytes = stackalloc byte[Size + 3];
        if (cursor.Length > 64 || !Base64Url.IsValid(cursor, out var length) || length != Size
            || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != Size)
        {
            return null;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks
            ? null
            : new KeysetCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[8..Size], bigEndian: true));
    }
}
