using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.Planner.Studies.Results;

/// <summary>
/// The columns of a study's runs table (<c>GET /api/studies/{studyId}/runs</c>), in order: <c>conditionId</c>, one column
/// per factor (named by the factor path as the definition spells it, e.g. <c>inputs.tone</c>), <c>replicate</c>,
/// <c>seed</c>, <c>runId</c>, <c>state</c>, <c>errorCode</c>, <c>durationMs</c>, <c>inputTokens</c>,
/// <c>outputTokens</c>, <c>costUsd</c>, <c>finalArtifactDigest</c>. Every format writes the same columns.
/// </summary>
/// <remarks>
/// A factor column's <see cref="StudyRunColumn.Type"/> is what every value the study can give it has in common, read
/// from its conditions' factors: all strings → <see cref="StudyRunColumnType.String"/>, all integers →
/// <see cref="StudyRunColumnType.Int64"/>, all numbers → <see cref="StudyRunColumnType.Double"/>, all booleans →
/// <see cref="StudyRunColumnType.Boolean"/>; anything else (objects, arrays, a mix), or when the conditions are not
/// given, <see cref="StudyRunColumnType.String"/> holding <see cref="FactorText"/>. JSON <c>null</c> levels do not
/// decide the type (factor columns are nullable). NDJSON writes factor values as the JSON they are whatever the type.
/// </remarks>
public sealed class StudyRunsTable
{
    private static readonly JsonSerializerOptions s_factorJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string[] _factorKeys;

    private StudyRunsTable(IReadOnlyList<StudyRunColumn> factors)
    {
        _factorKeys = [.. factors.Select(factor => factor.Name)];
        Columns =
        [
            new("conditionId", StudyRunColumnType.String, IsNullable: false),
            .. factors,
            new("replicate", StudyRunColumnType.Int32, IsNullable: false),
            new("seed", StudyRunColumnType.Int64, IsNullable: false),
            new("runId", StudyRunColumnType.String, IsNullable: false),
            new("state", StudyRunColumnType.String, IsNullable: false),
            new("errorCode", StudyRunColumnType.String, IsNullable: true),
            new("durationMs", StudyRunColumnType.Int64, IsNullable: true),
            new("inputTokens", StudyRunColumnType.Int64, IsNullable: false),
            new("outputTokens", StudyRunColumnType.Int64, IsNullable: false),
            new("costUsd", StudyRunColumnType.Decimal, IsNullable: false),
            new("finalArtifactDigest", StudyRunColumnType.String, IsNullable: true),
        ];
    }

    /// <summary>The columns in order.</summary>
    public IReadOnlyList<StudyRunColumn> Columns { get; }

    /// <summary>
    /// A table whose factor columns are typed from the study's conditions (every condition's factor object, e.g. from
    /// the plan or <see cref="ConditionStatistics.Factors"/>); without them every factor column is a string column.
    /// </summary>
    /// <param name="factorKeys">The factor paths in the definition's order.</param>
    /// <param name="conditionFactors">The factors of every condition of the study, or <see langword="null"/>.</param>
    public static StudyRunsTable For(IReadOnlyList<string> factorKeys, IEnumerable<JsonObject>? conditionFactors = null)
    {
        ArgumentNullException.ThrowIfNull(factorKeys);
        var conditions = conditionFactors?.ToList();
        var factors = factorKeys
            .Select(key => new StudyRunColumn(
                key,
                conditions is null ? StudyRunColumnType.String : TypeOfLevels(conditions.Select(factors => factors[key])),
                IsNullable: true,
                IsFactor: true))
            .ToList();
        return new StudyRunsTable(factors);
    }

    /// <summary>
    /// A factor value as text, as CSV (and Parquet string factor columns) carry it: a JSON string as its plain text,
    /// JSON <c>null</c> (or a missing factor) as <see langword="null"/>, any other value as its JSON text
    /// (<c>0.7</c>, <c>true</c>, <c>{"a":1}</c>).
    /// </summary>
    public static string? FactorText(JsonNode? value) => value switch
    {
        null => null,
        JsonValue text when text.GetValueKind() == JsonValueKind.String => text.GetValue<string>(),
        _ => value.ToJsonString(s_factorJson),
    };

    /// <summary>
    /// The row's cells in column order: <see cref="string"/>, <see cref="int"/>, <see cref="long"/>,
    /// <see cref="decimal"/>, a factor's <see cref="JsonNode"/>, or <see langword="null"/>.
    /// </summary>
    internal void Fill(StudyRunRow row, object?[] cells)
    {
        var i = 0;
        cells[i++] = row.ConditionId;
        foreach (var key in _factorKeys)
        {
            cells[i++] = row.Factors[key];
        }

        cells[i++] = row.Replicate;
        cells[i++] = row.Seed;
        cells[i++] = row.RunId.ToString("D");
        cells[i++] = row.State;
        cells[i++] = row.ErrorCode;
        cells[i++] = row.DurationMs;
        cells[i++] = row.InputTokens;
        cells[i++] = row.OutputTokens;
        cells[i++] = row.CostUsd;
        cells[i] = row.FinalArtifactDigest;
    }

    /// <summary>A cell as CSV text: invariant culture, factors by <see cref="FactorText"/>, <see langword="null"/> as an empty field.</summary>
    internal static string? Text(object? cell) => cell switch
    {
        null => null,
        string text => text,
        JsonNode factor => FactorText(factor),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString(),
    };

    private static StudyRunColumnType TypeOfLevels(IEnumerable<JsonNode?> levels)
    {
        var kinds = levels.Where(level => level is not null).Select(Kind).Distinct().ToList();
        return kinds switch
        {
            [StudyRunColumnType.Int64] => StudyRunColumnType.Int64,
            [StudyRunColumnType.Boolean] => StudyRunColumnType.Boolean,
            [_, ..] when kinds.All(kind => kind is StudyRunColumnType.Int64 or StudyRunColumnType.Double) => StudyRunColumnType.Double,
            _ => StudyRunColumnType.String,
        };
    }

    /// <summary>The narrowest column type of one value; <see langword="null"/> for an object or array (text only).</summary>
    private static StudyRunColumnType? Kind(JsonNode? level) => level is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.String => StudyRunColumnType.String,
            JsonValueKind.True or JsonValueKind.False => StudyRunColumnType.Boolean,
            JsonValueKind.Number when long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => StudyRunColumnType.Int64,
            JsonValueKind.Number => StudyRunColumnType.Double,
            _ => null,
        }
        : null;
}

/// <summary>One column of a study's runs table.</summary>
/// <param name="Name">The column's name (a factor column is named by its factor path).</param>
/// <param name="Type">What its values are (Parquet stores them so; CSV as invariant text; NDJSON as JSON).</param>
/// <param name="IsNullable">Whether a value may be missing.</param>
/// <param name="IsFactor">Whether it is one of the study's factors.</param>
public sealed record StudyRunColumn(string Name, StudyRunColumnType Type, bool IsNullable, bool IsFactor = false);

/// <summary>The type of a runs-table column's values.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Each member names the type its column holds.")]
public enum StudyRunColumnType
{
    /// <summary>UTF-8 text.</summary>
    String,

    /// <summary>A 32-bit signed integer.</summary>
    Int32,

    /// <summary>A 64-bit signed integer.</summary>
    Int64,

    /// <summary>A 64-bit IEEE floating-point number.</summary>
    Double,

    /// <summary>An exact decimal number (Parquet: DECIMAL(38, 18)).</summary>
    Decimal,

    /// <summary>True or false.</summary>
    Boolean,
}
