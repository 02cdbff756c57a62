using System.Numerics;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>
/// A study's conditions as level indexes, one per factor: the full factorial of the factors' level counts, less every
/// condition that matches an exclusion (a partial assignment). It counts what the exclusions leave without enumerating
/// the grid, so that a grid of 10^12 conditions is refused in microseconds, and it enumerates only what remains.
/// </summary>
/// <remarks>
/// The walk goes factor by factor, carrying the set of exclusions that still match the levels chosen so far. At one
/// factor, the levels no live exclusion names all lead to the same set, so they are counted once and multiplied; only
/// named levels branch. Sets are interned and counts memoized per (factor, set), so the work grows with the number of
/// distinct sets, not with the size of the grid.
/// </remarks>
internal sealed class ConditionGrid
{
    /// <summary>In an exclusion: the factor is not constrained.</summary>
    public const int Unconstrained = -1;

    /// <summary>A branch whose levels complete an exclusion.</summary>
    private const int ExcludedSet = -1;

    private readonly int[] _levelCounts;
    private readonly int[][] _exclusions;
    private readonly int[] _lastConstrained;
    private readonly List<int[]> _sets = [];
    private readonly Dictionary<int[], int> _setIds = new(SetComparer.Instance);
    private readonly Dictionary<(int Factor, int Set), Branches> _branches = [];
    private readonly Dictionary<(int Factor, int Set), BigInteger> _counts = [];
    private readonly int _all;
    private long _work;

    /// <param name="levelCounts">Each factor's number of levels (each at least 1), in plan order.</param>
    /// <param name="exclusions">Each exclusion's level index per factor, or <see cref="Unconstrained"/>; each constrains at least one factor.</param>
    public ConditionGrid(IReadOnlyList<int> levelCounts, IReadOnlyList<int[]> exclusions)
    {
        _levelCounts = [.. levelCounts];
        _exclusions = [.. exclusions];
        _lastConstrained = _exclusions.Select(e => Array.FindLastIndex(e, level => level != Unconstrained)).ToArray();
        if (_lastConstrained.Any(last => last < 0) || _levelCounts.Any(count => count < 1))
        {
            throw new ArgumentException("Every factor needs a level and every exclusion a constrained factor.");
        }

        _all = Intern([.. Enumerable.Range(0, _exclusions.Length)]);
    }

    /// <summary>The number of conditions before exclusions: the product of the level counts.</summary>
    public BigInteger FullCount => _levelCounts.Aggregate(BigInteger.One, (product, count) => product * count);

    /// <summary>
    /// At most how many conditions the exclusions remove, taken one by one (each removes the product of the level
    /// counts it leaves unconstrained; overlaps are counted twice), subtracted from <see cref="FullCount"/>: a lower
    /// bound of what remains, computed in one pass over the exclusions.
    /// </summary>
    public BigInteger LowerBound => BigInteger.Max(
        BigInteger.Zero,
        FullCount - _exclusions.Aggregate(BigInteger.Zero, (removed, exclusion) => removed + exclusion
            .Select((level, factor) => level == Unconstrained ? _levelCounts[factor] : 1)
            .Aggregate(BigInteger.One, (product, count) => product * count)));

    /// <summary>
    /// The number of conditions the exclusions leave, or <see langword="null"/> when counting would take more than
    /// <paramref name="maxWork"/> steps (exclusions so many and so entangled that they cannot be counted out cheaply).
    /// </summary>
    public BigInteger? CountRemaining(long maxWork)
    {
        _work = 0;
        return Count(0, _all, maxWork);
    }

    /// <summary>Every remaining condition's level indexes, in plan order (the first factor varies slowest).</summary>
    public IReadOnlyList<int[]> Enumerate()
    {
        var conditions = new List<int[]>();
        Walk(0, _all, new int[_levelCounts.Length], conditions);
        return conditions;
    }

    private void Walk(int factor, int set, int[] levels, List<int[]> conditions)
    {
        if (factor == _levelCounts.Length)
        {
            conditions.Add([.. levels]);
            return;
        }

        var branches = BranchesAt(factor, set);
        for (var level = 0; level < _levelCounts[factor]; level++)
        {
            var next = branches.Named.TryGetValue(level, out var named) ? named : branches.Others;
            // A memoized count of zero (known after CountRemaining) means everything below is excluded.
            if (next == ExcludedSet || (_counts.TryGetValue((factor + 1, next), out var below) && below.IsZero))
            {
                continue;
            }

            levels[factor] = level;
            Walk(factor + 1, next, levels, conditions);
        }
    }

    private BigInteger? Count(int factor, int set, long maxWork)
    {
        if (factor == _levelCounts.Length)
        {
            return BigInteger.One;
        }

        if (_counts.TryGetValue((factor, set), out var known))
        {
            return known;
        }

        if (_work > maxWork)
        {
            return null;
        }

        var branches = BranchesAt(factor, set);
        var total = BigInteger.Zero;
        foreach (var next in branches.Named.Values)
        {
            if (next != ExcludedSet)
            {
                if (Count(factor + 1, next, maxWork) is not { } count)
                {
                    return null;
                }

                total += count;
            }
        }

        var others = _levelCounts[factor] - branches.Named.Count;
        if (others > 0)
        {
            if (Count(factor + 1, branches.Others, maxWork) is not { } count)
            {
                return null;
            }

            total += others * count;
        }

        _counts[(factor, set)] = total;
        return total;
    }

    /// <summary>Where each level of <paramref name="factor"/> leads from the live exclusions <paramref name="set"/>.</summary>
    private Branches BranchesAt(int factor, int set)
    {
        if (_branches.TryGetValue((factor, set), out var known))
        {
            return known;
        }

        var free = new List<int>();
        var byLevel = new SortedDictionary<int, List<int>>();
        foreach (var exclusion in _sets[set])
        {
            var level = _exclusions[exclusion][factor];
            if (level == Unconstrained)
            {
                free.Add(exclusion);
            }
            else if (byLevel.TryGetValue(level, out var members))
            {
                members.Add(exclusion);
            }
            else
            {
                byLevel[level] = [exclusion];
            }
        }

        _work += _sets[set].Length;
        var named = new Dictionary<int, int>();
        foreach (var (level, members) in byLevel)
        {
            // An exclusion whose last constrained factor is this one is now fully matched.
            named[level] = members.Exists(e => _lastConstrained[e] == factor) ? ExcludedSet : Intern(Merge(free, members));
        }

        var branches = new Branches(named, Intern([.. free]));
        _branches[(factor, set)] = branches;
        return branches;
    }

    private int Intern(int[] exclusions)
    {
        _work += exclusions.Length;
        if (!_setIds.TryGetValue(exclusions, out var id))
        {
            id = _sets.Count;
            _sets.Add(exclusions);
            _setIds[exclusions] = id;
        }

        return id;
    }

    /// <summary>The union of two ascending lists of distinct exclusions, ascending.</summary>
    private static int[] Merge(List<int> first, List<int> second)
    {
        var merged = new int[first.Count + second.Count];
        int i = 0, j = 0, k = 0;
        while (i < first.Count || j < second.Count)
        {
            merged[k++] = j == second.Count || (i < first.Count && first[i] < second[j]) ? first[i++] : second[j++];
        }

        return merged;
    }

    /// <summary>Sets of exclusions are equal when they hold the same exclusions (both are kept ascending).</summary>
    private sealed class SetComparer : IEqualityComparer<int[]>
    {
        public static readonly SetComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(obj.AsSpan()));
            return hash.ToHashCode();
        }
    }

    /// <param name="Named">For each level some live exclusion names: the set it leads to, or <see cref="ExcludedSet"/>.</param>
    /// <param name="Others">The set every other level leads to: the exclusions that do not constrain the factor.</param>
    private sealed record Branches(Dictionary<int, int> Named, int Others);
}
