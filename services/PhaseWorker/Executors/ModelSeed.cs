using System.Text.Json.Nodes;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>
/// The run's <c>model.seed</c>: an optional integer that reaches every executor (<c>openai</c> sends it as
/// <c>seed</c>, <c>http</c> passes it in its body as <c>seed</c>, <c>mock</c> mixes it into its content). Studies give
/// each of their runs its own seed, so replicates of one condition differ.
/// </summary>
internal static class ModelSeed
{
    /// <summary>The seed; <see langword="null"/> when the model has none (or JSON <c>null</c>).</summary>
    /// <exception cref="ExecutorException">The seed is not an integer in the range of a 64-bit signed integer.</exception>
    public static long? Read(JsonObject model)
    {
        if (!model.TryGetPropertyValue("seed", out var node) || node is null)
        {
            return null;
        }

        return JsonNumbers.AsDecimal(node) is { } number && number == decimal.Truncate(number) && number is >= long.MinValue and <= long.MaxValue
            ? (long)number
            : throw new ExecutorException("model.seed must be an integer");
    }
}
