using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using RunMesh.Planner.Studies;
using RunMesh.Planner.Studies.Results;

namespace RunMesh.Planner.Tests.Results;

public sealed class StudyRunsWritersTests
{
    private static readonly string[] s_fixedColumns =
        ["replicate", "seed", "runId", "state", "errorCode", "durationMs", "inputTokens", "outputTokens", "costUsd", "finalArtifactDigest"];

    private static readonly List<StudyRunRow> s_rows = StudyRows.Mixed(24);

    private static StudyRunsTable TypedTable => StudyRunsTable.For(StudyRows.FactorKeys, Enumerable.Range(0, 6).Select(StudyRows.Factors));

    [Fact]
    public void Columns_are_the_condition_the_factors_as_spelled_then_the_run()
    {
        StudyRunsTable.For(StudyRows.FactorKeys).Columns.Select(column => column.Name)
            .ShouldBe(["conditionId", .. StudyRows.FactorKeys, .. s_fixedColumns]);
    }

    [Fact]
    public void Factor_columns_are_typed_by_what_all_their_levels_are()
    {
        var types = TypedTable.Columns.Where(column => column.IsFactor).ToDictionary(column => column.Name, column => column.Type);

        types.ShouldBe(new Dictionary<string, StudyRunColumnType>
        {
            ["inputs.tone"] = StudyRunColumnType.String,
            ["model.temperature"] = StudyRunColumnType.Double,
            ["model.maxTokens"] = StudyRunColumnType.Int64,
            ["inputs.strict"] = StudyRunColumnType.Boolean,
            ["inputs.options"] = StudyRunColumnType.String,
        });
    }

    [Fact]
    public void A_factor_with_levels_of_several_kinds_is_a_string_column()
    {
        var table = StudyRunsTable.For(["inputs.level"], [new JsonObject { ["inputs.level"] = 1 }, new JsonObject { ["inputs.level"] = "high" }, new JsonObject { ["inputs.level"] = null }]);

        table.Columns.Single(column => column.IsFactor).Type.ShouldBe(StudyRunColumnType.String);
    }

    [Theory]
    [InlineData("\"casual\"", "casual")]
    [InlineData("0.7", "0.7")]
    [InlineData("3", "3")]
    [InlineData("false", "false")]
    [InlineData("{\"depth\":2,\"name\":\"café\"}", "{\"depth\":2,\"name\":\"café\"}")]
    [InlineData("[1,\"a\"]", "[1,\"a\"]")]
    [InlineData("null", null)]
    public void Factor_text_is_a_string_as_itself_and_anything_else_as_json(string json, string? text)
    {
        StudyRunsTable.FactorText(JsonNode.Parse(json)).ShouldBe(text);
    }

    [Fact]
    public async Task Ndjson_is_one_json_object_per_run_that_parses_back_to_the_rows()
    {
        var table = StudyRunsTable.For(StudyRows.FactorKeys);

        var lines = (await WriteAsync(StudyResultFormats.Ndjson, table, s_rows)).Split('\n');

        lines[^1].ShouldBeEmpty(); // every line ends with \n
        lines.Length.ShouldBe(s_rows.Count + 1);
        for (var i = 0; i < s_rows.Count; i++)
        {
            var row = s_rows[i];
            var line = JsonNode.Parse(lines[i])!.AsObject();
            line.Select(property => property.Key).ShouldBe(table.Columns.Select(column => column.Name));
            line["conditionId"]!.GetValue<string>().ShouldBe(row.ConditionId);
            foreach (var key in StudyRows.FactorKeys)
            {
                JsonNode.DeepEquals(line[key], row.Factors[key]).ShouldBeTrue(key);
            }

            line["replicate"]!.GetValue<int>().ShouldBe(row.Replicate);
            line["seed"]!.GetValue<long>().ShouldBe(row.Seed);
            line["runId"]!.GetValue<Guid>().ShouldBe(row.RunId);
            line["state"]!.GetValue<string>().ShouldBe(row.State);
            (line["errorCode"]?.GetValue<string>()).ShouldBe(row.ErrorCode);
            (line["durationMs"] is { } duration ? duration.GetValue<long>() : (long?)null).ShouldBe(row.DurationMs);
            line["inputTokens"]!.GetValue<long>().ShouldBe(row.InputTokens);
            line["outputTokens"]!.GetValue<long>().ShouldBe(row.OutputTokens);
            line["costUsd"]!.GetValue<decimal>().ShouldBe(row.CostUsd);
            (line["finalArtifactDigest"]?.GetValue<string>()).ShouldBe(row.FinalArtifactDigest);
            line.ContainsKey("errorCode").ShouldBeTrue();
            line.ContainsKey("durationMs").ShouldBeTrue();
        }
    }

    [Fact]
    public async Task Csv_has_a_header_row_and_reads_back_with_csvhelper_to_the_rows()
    {
        var table = TypedTable;
        await using var output = new AsyncOnlyStream();
        await StudyResultFormats.Csv.WriteAsync(table, StudyRows.Stream(s_rows), output);

        await using var csv = CsvReader.Create(output.Contents(), CsvReaderOptions.Default with { Separator = ',' });
        await csv.ReadHeaderAsync();
        csv.Headers.ShouldBe(table.Columns.Select(column => column.Name));
        var read = 0;
        while (await csv.ReadAsync())
        {
            var row = s_rows[read++];
            csv.GetString("conditionId").ShouldBe(row.ConditionId);
            foreach (var key in StudyRows.FactorKeys)
            {
                csv.GetString(key).ShouldBe(StudyRunsTable.FactorText(row.Factors[key]), key);
            }

            csv.GetString("replicate").ShouldBe(row.Replicate.ToString(CultureInfo.InvariantCulture));
            long.Parse(csv.GetString("seed"), CultureInfo.InvariantCulture).ShouldBe(row.Seed);
            Guid.Parse(csv.GetString("runId")).ShouldBe(row.RunId);
            csv.GetString("state").ShouldBe(row.State);
            csv.GetString("errorCode").ShouldBe(row.ErrorCode ?? "");
            csv.GetString("durationMs").ShouldBe(row.DurationMs?.ToString(CultureInfo.InvariantCulture) ?? "");
            long.Parse(csv.GetString("inputTokens"), CultureInfo.InvariantCulture).ShouldBe(row.InputTokens);
            long.Parse(csv.GetString("outputTokens"), CultureInfo.InvariantCulture).ShouldBe(row.OutputTokens);
            decimal.Parse(csv.GetString("costUsd"), CultureInfo.InvariantCulture).ShouldBe(row.CostUsd);
            csv.GetString("finalArtifactDigest").ShouldBe(row.FinalArtifactDigest ?? "");
        }

        read.ShouldBe(s_rows.Count);
    }

    [Fact]
    public async Task Csv_quotes_fields_that_need_it_and_ends_records_with_crlf()
    {
        var text = await WriteAsync(StudyResultFormats.Csv, StudyRunsTable.For(StudyRows.FactorKeys), s_rows.Take(2));

        var lines = text.Split("\r\n");
        lines[0].ShouldStartWith("conditionId,inputs.tone,model.temperature,model.maxTokens,inputs.strict,inputs.options,replicate,");
        lines[2].ShouldContain("\"say \"\"hi\"\", then café\"");
        lines[1].ShouldContain(",\"{\"\"depth\"\":0,\"\"tags\"\":[\"\"a\"\",\"\"b\"\"]}\",");
        lines[^1].ShouldBeEmpty();
    }

    [Fact]
    public async Task Parquet_reads_back_with_parquet_net_to_the_rows_with_typed_factor_columns()
    {
        var table = TypedTable;
        await using var output = new AsyncOnlyStream();
        await StudyResultFormats.Parquet.WriteAsync(table, StudyRows.Stream(s_rows), output);

        var result = await ReadParquetAsync(output.Contents());

        var fields = result.Schema.DataFields.ToDictionary(field => field.Name);
        fields.Keys.ShouldBe(table.Columns.Select(column => column.Name));
        fields["model.temperature"].ClrType.ShouldBe(typeof(double));
        fields["model.maxTokens"].ClrType.ShouldBe(typeof(long));
        fields["inputs.strict"].ClrType.ShouldBe(typeof(bool));
        IsStringColumn(fields["inputs.tone"]).ShouldBeTrue();
        IsStringColumn(fields["inputs.options"]).ShouldBeTrue();
        fields["replicate"].ClrType.ShouldBe(typeof(int));
        fields["costUsd"].ShouldBeOfType<DecimalDataField>().Scale.ShouldBe(18);
        fields.Values.Where(field => field.IsNullable).Select(field => field.Name).Order(StringComparer.Ordinal)
            .ShouldBe([.. StudyRows.FactorKeys.Concat(["errorCode", "durationMs", "finalArtifactDigest"]).Order(StringComparer.Ordinal)]);
        result.Data.Count.ShouldBe(s_rows.Count);
        for (var i = 0; i < s_rows.Count; i++)
        {
            var row = s_rows[i];
            var read = result.Data[i];
            read["conditionId"].ShouldBe(row.ConditionId);
            read["inputs.tone"].ShouldBe(row.Factors["inputs.tone"]!.GetValue<string>());
            read["model.temperature"].ShouldBe(double.Parse(row.Factors["model.temperature"]!.ToJsonString(), CultureInfo.InvariantCulture));
            read["model.maxTokens"].ShouldBe((long)row.Factors["model.maxTokens"]!.GetValue<int>());
            read["inputs.strict"].ShouldBe(row.Factors["inputs.strict"]!.GetValue<bool>());
            read["inputs.options"].ShouldBe(StudyRunsTable.FactorText(row.Factors["inputs.options"]));
            read["replicate"].ShouldBe(row.Replicate);
            read["seed"].ShouldBe(row.Seed);
            read["runId"].ShouldBe(row.RunId.ToString("D"));
            read["state"].ShouldBe(row.State);
            read.GetValueOrDefault("errorCode").ShouldBe(row.ErrorCode);
            read.GetValueOrDefault("durationMs").ShouldBe(row.DurationMs);
            read["inputTokens"].ShouldBe(row.InputTokens);
            read["outputTokens"].ShouldBe(row.OutputTokens);
            read["costUsd"].ShouldBe(row.CostUsd);
            read.GetValueOrDefault("finalArtifactDigest").ShouldBe(row.FinalArtifactDigest);
        }
    }

    [Fact]
    public async Task Parquet_without_the_conditions_has_string_factor_columns_of_factor_text()
    {
        await using var output = new AsyncOnlyStream();
        await StudyResultFormats.Parquet.WriteAsync(StudyRunsTable.For(StudyRows.FactorKeys), StudyRows.Stream(s_rows.Take(3)), output);

        var result = await ReadParquetAsync(output.Contents());

        result.Schema.DataFields.Where(field => StudyRows.FactorKeys.Contains(field.Name)).ShouldAllBe(field => IsStringColumn(field));
        result.Data[0]["model.temperature"].ShouldBe("0");
        result.Data[1]["model.temperature"].ShouldBe("0.7");
        result.Data[1]["inputs.strict"].ShouldBe("true");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Twenty_thousand_rows_are_written_while_they_are_still_being_read(string contentType)
    {
        const int Count = 20_000;
        var writer = StudyResultFormats.All.Single(format => format.ContentType == contentType);
        await using var output = new AsyncOnlyStream();
        long writtenBeforeTheLastRow = -1;

        await writer.WriteAsync(StudyRunsTable.For(StudyRows.FactorKeys), Generate(), output);

        writtenBeforeTheLastRow.ShouldBeGreaterThan(0);
        (await CountRowsAsync(writer, output.Contents())).ShouldBe(Count);

        async IAsyncEnumerable<StudyRunRow> Generate()
        {
            for (var i = 0; i < Count; i++)
            {
                if (i == Count - 1)
                {
                    writtenBeforeTheLastRow = output.BytesWritten;
                }

                await Task.CompletedTask;
                yield return StudyRows.Row($"c{i % 7:x12}", i, "completed", durationMs: i, costUsd: 0.001m, factors: StudyRows.Factors(i % 7), replicate: (i / 7) + 1);
            }
        }
    }

    [Fact]
    public async Task Parquet_groups_rows_by_ten_thousand()
    {
        await using var output = new AsyncOnlyStream();
        var rows = Enumerable.Range(0, 25_000).Select(i => StudyRows.Row("c1", i, "pending"));

        await StudyResultFormats.Parquet.WriteAsync(StudyRunsTable.For([]), StudyRows.Stream(rows), output);

        await using var reader = await ParquetReader.CreateAsync(output.Contents());
        reader.RowGroups.Select(group => group.RowCount).ShouldBe([10_000L, 10_000L, 5_000L]);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_study_without_runs_gives_an_empty_table(string contentType)
    {
        var writer = StudyResultFormats.All.Single(format => format.ContentType == contentType);
        await using var output = new AsyncOnlyStream();

        await writer.WriteAsync(StudyRunsTable.For(StudyRows.FactorKeys), StudyRows.Stream([]), output);

        (await CountRowsAsync(writer, output.Contents())).ShouldBe(0);
    }

    public static TheoryData<string> Formats() => [.. StudyResultFormats.All.Select(format => format.ContentType)];

    /// <summary>Every row of a Parquet file, strings as <see cref="string"/> (Parquet.Net reads them as character memory).</summary>
    private static async Task<(ParquetSchema Schema, List<Dictionary<string, object?>> Data)> ReadParquetAsync(Stream contents)
    {
        var result = await ParquetSerializer.DeserializeUntypedAsync(contents);
        var data = result.Data
            .Select(row => row.ToDictionary(cell => cell.Key, cell => cell.Value is ReadOnlyMemory<char> text ? text.ToString() : (object?)cell.Value))
            .ToList();
        return (result.Schema, data);
    }

    private static bool IsStringColumn(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static async Task<string> WriteAsync(IStudyRunsWriter writer, StudyRunsTable table, IEnumerable<StudyRunRow> rows)
    {
        await using var output = new AsyncOnlyStream();
        await writer.WriteAsync(table, StudyRows.Stream(rows), output);
        return Encoding.UTF8.GetString(output.Contents().ToArray());
    }

    private static async Task<long> CountRowsAsync(IStudyRunsWriter writer, MemoryStream contents)
    {
        switch (writer)
        {
            case ParquetStudyRunsWriter:
                await using (var reader = await ParquetReader.CreateAsync(contents))
                {
                    return reader.RowGroups.Sum(group => group.RowCount);
                }

            case CsvStudyRunsWriter:
                await using (var csv = CsvReader.Create(contents, CsvReaderOptions.Default with { Separator = ',' }))
                {
                    var records = 0;
                    while (await csv.ReadAsync())
                    {
                        csv.GetString("conditionId").ShouldStartWith("c");
                        records++;
                    }

                    return records;
                }

            default:
                return Encoding.UTF8.GetString(contents.ToArray())
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Count(line => JsonNode.Parse(line)!["conditionId"] is not null);
        }
    }
}
