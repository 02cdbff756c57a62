using Microsoft.Extensions.Options;
using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>Turns token counts into <see cref="Usage"/> with the configured prices (<c>PhaseWorker:Prices</c>).</summary>
internal sealed partial class PriceTable(IOptions<PhaseWorkerOptions> options, ILogger<PriceTable> logger)
{
    /// <summary>
    /// The usage of <paramref name="inputTokens"/> and <paramref name="outputTokens"/> on <paramref name="model"/>.
    /// A model without a configured price costs nothing (and is logged), so a missing price never fails a phase. The cost
    /// is rounded to the micro-dollar (<see cref="Usage.CostDecimalPlaces"/>, half away from zero), so every cost and
    /// every sum of costs has at most six decimal places.
    /// </summary>
    public Usage For(string model, long inputTokens, long outputTokens)
    {
        if (!options.Value.Prices.TryGetValue(model, out var price))
        {
            LogNoPrice(logger, model);
            return new Usage { InputTokens = inputTokens, OutputTokens = outputTokens };
        }

        return new Usage
        {
            InputTokens = inputTokens,
            OutputTokens = outputTokens,
            CostUsd = Math.Round(
                (inputTokens * price.InputPer1kTokens / 1000m) + (outputTokens * price.OutputPer1kTokens / 1000m),
                Usage.CostDecimalPlaces,
                MidpointRounding.AwayFromZero),
        };
    }

    /// <summary>The deterministic token estimate the mock uses: one token per four characters, rounded up.</summary>
    public static long EstimateTokens(int characters) => (characters + 3L) / 4L;

    [LoggerMessage(Level = LogLevel.Warning, Message = "No price configured for model '{Model}' (PhaseWorker:Prices:{Model}); its cost is counted as 0")]
    private static partial void LogNoPrice(ILogger logger, string model);
}
