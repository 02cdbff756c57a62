using System.Buffers.Binary;

namespace RunMesh.PhaseWorker.Executors.Mock;

/// <summary>
/// SplitMix64: a tiny pseudo-random sequence that is the same on every platform and .NET version for the same seed
/// (unlike <see cref="Random"/>, whose algorithm is an implementation detail).
/// </summary>
internal sealed class DeterministicRandom(ReadOnlySpan<byte> seed)
{
    private ulong _state = BinaryPrimitives.ReadUInt64LittleEndian(seed);

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in <c>[min, max]</c> (both included).</summary>
    public long Between(long min, long max)
    {
        if (max <= min)
        {
            return min;
        }

        var span = (ulong)(max - min) + 1UL;
        return span == 0 ? (long)Next() : min + (long)(Next() % span);
    }

    /// <summary>A value in <c>[0, 1)</c>.</summary>
    public decimal Fraction() => (Next() >> 11) / (decimal)(1UL << 53);

    /// <summary>An index into a list of <paramref name="count"/> items.</summary>
    public int Index(int count) => (int)Between(0, count - 1);
}
