using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// <c>application/x-ndjson</c>: one JSON object per run and line (<c>\n</c>), every column present, missing values
/// as <c>null</c>, factor values as the JSON they are. Output is sent in chunks of about 64 KiB.
/// </summary>
public sealed class NdjsonStudyRunsWriter : IStudyRunsWriter
{
    private const int ChunkBytes = 64 * 1024;

    /// <inheritdoc />
    public string ContentType => "application/x-ndjson";

    /// <inheritdoc />
    public string FileExtension => "ndjson";

    /// <inheritdoc />
    public async Task WriteAsync(StudyRunsTable table, IAsyncEnumerable<StudyRunRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes * 2);
        await using var json = new Utf8JsonWriter(buffer);
        var cells = new object?[table.Columns.Count];
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            table.Fill(row, cells);
            WriteLine(json, table.Columns, cells);
            buffer.Write("\n"u8);
            json.Reset(buffer);
            if (buffer.WrittenCount >= ChunkBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
                buffer.ResetWrittenCount();
            }
        }

        await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    private static void WriteLine(Utf8JsonWriter json, IReadOnlyList<StudyRunColumn> columns, object?[] cells)
    {
        json.WriteStartObject();
        for (var i = 0; i < cells.Length; i++)
        {
            json.WritePropertyName(columns[i].Name);
            switch (cells[i])
            {
                case null:
                    json.WriteNullValue();
                    break;
                case string text:
                    json.WriteStringValue(text);
                    break;
                case int number:
                    json.WriteNumberValue(number);
                    break;
                case long number:
                    json.WriteNumberValue(number);
                    break;
                case decimal number:
                    json.WriteNumberValue(number);
                    break;
                case JsonNode factor:
                    factor.WriteTo(json);
                    break;
                default:
                    throw new InvalidOperationException($"A runs-table cell of type {cells[i]!.GetType().Name} has no JSON form.");
            }
        }

        json.WriteEndObject();
        json.Flush();
    }
}
