using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RunMesh.PhaseWorker.Executors.Mock;

/// <summary>
/// The mock executor's phase <c>settings</c>: <c>latencyMs</c>, <c>hangAttempts</c>, <c>failAttempts</c>,
/// <c>invalidAttempts</c>, <c>seed</c>.
/// </summary>
internal sealed record MockSettings(int LatencyMs, int HangAttempts, int FailAttempts, int InvalidAttempts, string Seed)
{
    /// <summary>The longest simulated latency: one day.</summary>
    public const int MaxLatencyMs = 24 * 3600 * 1000;

    /// <summary>Reads the settings; a wrong value is an executor error that names it.</summary>
    public static MockSettings Parse(JsonObject? settings)
    {
        settings ??= [];
        return new MockSettings(
            LatencyMs: ReadInt(settings, "latencyMs", MaxLatencyMs),
            HangAttempts: ReadInt(settings, "hangAttempts", int.MaxValue),
            FailAttempts: ReadInt(settings, "failAttempts", int.MaxValue),
            InvalidAttempts: ReadInt(settings, "invalidAttempts", int.MaxValue),
            Seed: ReadSeed(settings));
    }

    private static int ReadInt(JsonObject settings, string name, int max)
    {
        if (!settings.TryGetPropertyValue(name, out var node) || node is null)
        {
            return 0;
        }

        if (JsonNumbers.AsDecimal(node) is { } number && number == decimal.Truncate(number) && number >= 0 && number <= max)
        {
            return (int)number;
        }

        throw new ExecutorException($"mock settings: '{name}' must be an integer between 0 and {max}");
    }

    private static string ReadSeed(JsonObject settings)
    {
        if (!settings.TryGetPropertyValue("seed", out var node) || node is null)
        {
            return "";
        }

        return node is JsonValue value && value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
            ? value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()
            : throw new ExecutorException("mock settings: 'seed' must be a string or a number");
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"latencyMs={LatencyMs}, hangAttempts={HangAttempts}, failAttempts={FailAttempts}, invalidAttempts={InvalidAttempts}");
}
