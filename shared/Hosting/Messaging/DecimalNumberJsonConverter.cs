using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RunMesh.Hosting.Messaging;

/// <summary>
/// Decimals on the bus (money: <c>costUsd</c>, <c>maxCostUsd</c>) as JSON numbers, like the REST API, the event log
/// and the reports write them (docs/bus-contract.md, "Numbers and money"). MassTransit's own converter writes them as
/// strings (<c>"0.000069"</c>); this one replaces it. It still reads that string form, so a message an older version
/// of a service wrote (waiting in a queue or an outbox across an upgrade) is not lost.
/// </summary>
public sealed class DecimalNumberJsonConverter : JsonConverter<decimal>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <summary>Reads a JSON number, or a string holding one (the older form); <c>null</c> reads as 0, as MassTransit's converter read it.</summary>
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetDecimal(out var number):
                return number;
            case JsonTokenType.String when decimal.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            case JsonTokenType.Null:
                return 0m;
            default:
                throw new JsonException($"Expected a decimal number, got {reader.TokenType}.");
        }
    }

    /// <summary>Writes the value as a JSON number, with the digits it has (<c>0.000069</c>, never an exponent).</summary>
    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }
}
