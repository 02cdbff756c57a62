using System.Globalization;
using System.Text.RegularExpressions;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>
/// Instants in query parameters: an RFC 3339 <c>date-time</c> — date, <c>T</c>, time, an optional fraction of 1 to 9
/// digits, and an offset that is <c>Z</c> or <c>±hh:mm</c> (an instant without one is ambiguous, so it is refused).
/// </summary>
internal static partial class Rfc3339
{
    /// <summary>The instant <paramref name="text"/> names, or <see langword="null"/> when it is no RFC 3339 date-time.</summary>
    public static DateTimeOffset? Parse(string text)
    {
        var match = DateTimePattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        // .NET reads at most seven fractional digits (100 ns); RFC 3339 allows any number: the rest is below PostgreSQL's µs anyway.
        var fraction = match.Groups["fraction"].Value;
        var normalized = string.Concat(match.Groups["seconds"].Value, fraction.Length > 8 ? fraction[..8] : fraction, match.Groups["offset"].Value)
            .ToUpperInvariant();
        return DateTimeOffset.TryParseExact(
            normalized, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            ? instant
            : null;
    }

    [GeneratedRegex(@"^(?<seconds>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?<fraction>\.\d{1,9})?(?<offset>[Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimePattern();
}
