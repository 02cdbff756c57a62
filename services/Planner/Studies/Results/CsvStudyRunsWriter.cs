using CsvHelper;

namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// <c>text/csv</c> (RFC 4180, written by CsvHelper): a header row of the column names, then one record per run;
/// UTF-8 without a byte-order mark, <c>\r\n</c> line ends, fields quoted when they need it, numbers in the invariant
/// culture, a missing value as an empty field. Factor values are text: a string as itself, anything else as its JSON
/// (<see cref="StudyRunsTable.FactorText"/>).
/// </summary>
public sealed class CsvStudyRunsWriter : IStudyRunsWriter
{
    /// <inheritdoc />
    public string ContentType => "text/csv";

    /// <inheritdoc />
    public string FileExtension => "csv";

    /// <inheritdoc />
    public async Task WriteAsync(StudyRunsTable table, IAsyncEnumerable<StudyRunRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(output);
        await using var csv = CsvWriter.Create(output, CsvWriterOptions.Default, leaveOpen: true);
        csv.WriteHeader([.. table.Columns.Select(column => column.Name)]);
        var cells = new object?[table.Columns.Count];
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            table.Fill(row, cells);
            foreach (var cell in cells)
            {
                csv.WriteField(StudyRunsTable.Text(cell));
            }

            await csv.EndRecordAsync(cancellationToken);
        }

        await csv.FlushAsync(cancellationToken);
    }
}
