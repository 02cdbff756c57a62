using Microsoft.Net.Http.Headers;

namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// The formats of a study's runs table and which one an <c>Accept</c> header asks for:
/// <c>application/x-ndjson</c> (the default), <c>text/csv</c>, <c>application/vnd.apache.parquet</c>.
/// </summary>
public static class StudyResultFormats
{
    /// <summary>One JSON object per line.</summary>
    public static IStudyRunsWriter Ndjson { get; } = new NdjsonStudyRunsWriter();

    /// <summary>RFC 4180 CSV with a header row.</summary>
    public static IStudyRunsWriter Csv { get; } = new CsvStudyRunsWriter();

    /// <summary>Apache Parquet.</summary>
    public static IStudyRunsWriter Parquet { get; } = new ParquetStudyRunsWriter();

    /// <summary>Every format, the default first.</summary>
    public static IReadOnlyList<IStudyRunsWriter> All { get; } = [Ndjson, Csv, Parquet];

    /// <summary>
    /// The format an <c>Accept</c> header asks for: the supported media type with the highest quality (<c>q</c>), the
    /// first listed among equals; <c>*/*</c> and <c>application/*</c> mean NDJSON, <c>text/*</c> CSV; a type listed with
    /// <c>q=0</c> is never chosen. No header (or an empty one) means NDJSON. <see langword="null"/> when nothing
    /// acceptable is supported or the header cannot be parsed — answer 406 then.
    /// </summary>
    public static IStudyRunsWriter? ForAccept(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return Ndjson;
        }

        if (!MediaTypeHeaderValue.TryParseList([accept], out var ranges))
        {
            return null;
        }

        var refused = ranges
            .Where(range => range.Quality == 0)
            .SelectMany(range => All.Where(format => !range.MatchesAllSubTypes && Matches(range, format)))
            .ToHashSet();
        return ranges
            .Where(range => range.Quality is not 0)
            .OrderByDescending(range => range.Quality ?? 1)
            .Select(range => All.FirstOrDefault(format => !refused.Contains(format) && Matches(range, format)))
            .FirstOrDefault(format => format is not null);
    }

    /// <summary>Whether the range names the format's media type, by wildcard or exactly (parameters such as <c>charset</c> aside).</summary>
    private static bool Matches(MediaTypeHeaderValue range, IStudyRunsWriter format)
    {
        var type = new MediaTypeHeaderValue(format.ContentType);
        return range.MatchesAllTypes
            || (range.Type.Equals(type.Type, StringComparison.OrdinalIgnoreCase)
                && (range.MatchesAllSubTypes || range.SubType.Equals(type.SubType, StringComparison.OrdinalIgnoreCase)));
    }
}
