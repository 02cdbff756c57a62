namespace RunMesh.Contracts;

/// <summary>
/// Spending limits of a run. The template's budget is the ceiling; a run's <see cref="RunOptions.Budget"/> may only lower it.
/// </summary>
public sealed record Budget
{
    /// <summary>The most the run may cost, in US dollars. <see langword="null"/> (the default) means no cost limit.</summary>
    public decimal? MaxCostUsd { get; init; }

    /// <summary>The most tokens (input plus output) the run may use. <see langword="null"/> (the default) means no token limit.</summary>
    public long? MaxTokens { get; init; }
}
