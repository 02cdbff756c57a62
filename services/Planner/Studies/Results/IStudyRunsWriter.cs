namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// Writes a study's runs table in one format, streaming: rows are read one at a time and written out as they come
/// (Parquet holds one row group of typed values at a time), with asynchronous writes only, so it can write straight
/// to an HTTP response body.
/// </summary>
public interface IStudyRunsWriter
{
    /// <summary>The media type of what it writes (the response's <c>Content-Type</c>).</summary>
    string ContentType { get; }

    /// <summary>The usual file extension, without the dot (for a <c>Content-Disposition</c> file name).</summary>
    string FileExtension { get; }

    /// <summary>Writes <paramref name="rows"/> (in the order given) as <paramref name="table"/>'s columns to <paramref name="output"/>, which stays open.</summary>
    Task WriteAsync(StudyRunsTable table, IAsyncEnumerable<StudyRunRow> rows, Stream output, CancellationToken cancellationToken = default);
}
