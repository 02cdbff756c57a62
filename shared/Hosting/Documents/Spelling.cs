namespace RunMesh.Hosting.Documents;

/// <summary>
/// "Did you mean …?" for a name a person typed that is not one of the names allowed there (a field, a query parameter,
/// an input property, an enum value): the known name closest to it, when it is close enough to be a slip of the
/// fingers (an edit distance of 1 for short names, 2 from four letters, 3 from nine; case is ignored).
/// </summary>
public static class Spelling
{
    // Names longer than this are not compared: the distance costs their product, and no real name is that long.
    private const int MaxComparedLength = 64;

    /// <summary>The name of <paramref name="known"/> closest to <paramref name="given"/>, or <see langword="null"/> when none is close.</summary>
    public static string? Closest(string given, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(known);
        if (given.Length is 0 or > MaxComparedLength)
        {
            return null;
        }

        var typed = given.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            if (candidate.Length is 0 or > MaxComparedLength || string.Equals(candidate, given, StringComparison.Ordinal))
            {
                continue;
            }

            var distance = Distance(typed, candidate.ToLowerInvariant());
            if (distance <= Allowed(candidate.Length) && distance < Math.Max(given.Length, 2) && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary><c> (did you mean 'x'?)</c> for <see cref="Closest"/>, or an empty string.</summary>
    public static string DidYouMean(string given, IEnumerable<string> known) =>
        Closest(given, known) is { } closest ? $" (did you mean '{closest}'?)" : string.Empty;

    private static int Allowed(int length) => length switch
    {
        <= 3 => 1,
        <= 8 => 2,
        _ => 3,
    };

    /// <summary>The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], previous2[j - 2] + 1);
                }
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }
}
