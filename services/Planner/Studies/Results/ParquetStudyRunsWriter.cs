using System.Globalization;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;

namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// <c>application/vnd.apache.parquet</c> (written by Parquet.Net, Snappy-compressed): one column per runs-table column
/// with its <see cref="StudyRunColumn.Type"/> — strings as UTF-8 strings (<c>runId</c> too, as its hyphenated text),
/// <c>replicate</c> INT32, <c>seed</c>, <c>durationMs</c> and the token counts INT64, <c>costUsd</c> DECIMAL(38, 18),
/// typed factor columns INT64, DOUBLE or BOOLEAN — optional (nullable) exactly where a value may be missing:
/// <c>errorCode</c>, <c>durationMs</c>, <c>finalArtifactDigest</c> and every factor column. Rows are written in row
/// groups of <see cref="RowGroupSize"/>; only the current group is held in memory, as typed values. A table without
/// rows has no row group. A typed factor column takes only values of its type: build the <see cref="StudyRunsTable"/>
/// from all the study's conditions.
/// </summary>
public sealed class ParquetStudyRunsWriter : IStudyRunsWriter
{
    /// <summary>Rows per row group.</summary>
    public const int RowGroupSize = 10_000;

    /// <inheritdoc />
    public string ContentType => "application/vnd.apache.parquet";

    /// <inheritdoc />
    public string FileExtension => "parquet";

    /// <inheritdoc />
    public async Task WriteAsync(StudyRunsTable table, IAsyncEnumerable<StudyRunRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(output);
        var buffers = table.Columns.Select(ColumnBuffer.For).ToArray();
        var schema = new ParquetSchema(buffers.Select(buffer => (Field)buffer.Field));
        await using var body = new DeferredFlushStream(output);
        await using var writer = await ParquetWriter.CreateAsync(schema, body, cancellationToken: cancellationToken);
        var cells = new object?[buffers.Length];
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            table.Fill(row, cells);
            for (var i = 0; i < buffers.Length; i++)
            {
                buffers[i].Add(cells[i]);
            }

            if (++count == RowGroupSize)
            {
                await WriteRowGroupAsync(writer, buffers, cancellationToken);
                count = 0;
            }
        }

        if (count > 0)
        {
            await WriteRowGroupAsync(writer, buffers, cancellationToken);
        }
    }

    private static async Task WriteRowGroupAsync(ParquetWriter writer, ColumnBuffer[] buffers, CancellationToken cancellationToken)
    {
        using var group = writer.CreateRowGroup();
        foreach (var buffer in buffers)
        {
            await buffer.WriteAsync(group, cancellationToken);
        }

        group.CompleteValidate();
    }

    /// <summary>One column's values of the current row group, typed for Parquet.</summary>
    private abstract class ColumnBuffer
    {
        protected ColumnBuffer(DataField field) => Field = field;

        public DataField Field { get; }

        public static ColumnBuffer For(StudyRunColumn column) => column.Type switch
        {
            StudyRunColumnType.String => new Strings(new DataField<string>(column.Name, column.IsNullable), column.IsFactor),
            StudyRunColumnType.Int32 => new Values<int>(new DataField<int>(column.Name, column.IsNullable), cell => (int)cell!),
            StudyRunColumnType.Int64 => new Values<long>(
                new DataField<long>(column.Name, column.IsNullable),
                cell => cell is JsonNode factor ? long.Parse(factor.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : (long?)cell),
            StudyRunColumnType.Double => new Values<double>(
                new DataField<double>(column.Name, column.IsNullable),
                cell => cell is JsonNode factor ? double.Parse(factor.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) : null),
            StudyRunColumnType.Boolean => new Values<bool>(
                new DataField<bool>(column.Name, column.IsNullable),
                cell => cell is JsonNode factor ? factor.GetValue<bool>() : null),
            StudyRunColumnType.Decimal => new Values<decimal>(
                new DecimalDataField(column.Name, precision: 38, scale: 18, isNullable: column.IsNullable),
                cell => cell is decimal value ? Math.Round(value, 18) : null),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column.Type, "Not a runs-table column type."),
        };

        public abstract void Add(object? cell);

        /// <summary>Writes the buffered values as the group's next column and empties the buffer.</summary>
        public abstract Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken);
    }

    private sealed class Strings(DataField field, bool isFactor) : ColumnBuffer(field)
    {
        private readonly List<string?> _values = new(RowGroupSize);

        public override void Add(object? cell) => _values.Add(isFactor ? StudyRunsTable.FactorText(cell as JsonNode) : (string?)cell);

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            await group.WriteAsync(Field, _values);
            _values.Clear();
        }
    }

    private sealed class Values<T>(DataField field, Func<object?, T?> convert) : ColumnBuffer(field)
        where T : struct
    {
        private readonly T?[] _values = new T?[RowGroupSize];
        private int _count;

        public override void Add(object? cell) => _values[_count++] = cell is null ? null : convert(cell);

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            if (Field.IsNullable)
            {
                await group.WriteAsync(Field, new ReadOnlyMemory<T?>(_values, 0, _count), cancellationToken: cancellationToken);
            }
            else
            {
                var required = _values.Take(_count).Select(value => value!.Value).ToArray();
                await group.WriteAsync(Field, new ReadOnlyMemory<T>(required), cancellationToken: cancellationToken);
            }

            _count = 0;
        }
    }
}
