namespace RunMesh.Contracts;

/// <summary>
/// What executing something consumed: tokens and their cost. Every value defaults to zero.
/// </summary>
public sealed record Usage
{
    /// <summary>How many decimal places a cost has at most: 6, i.e. to the micro-dollar (0.000001 USD).</summary>
    public const int CostDecimalPlaces = 6;

    /// <summary>Tokens sent to the executor (the rendered instructions and context). Default 0.</summary>
    public long InputTokens { get; init; }

    /// <summary>Tokens the executor produced. Default 0.</summary>
    public long OutputTokens { get; init; }

    /// <summary>
    /// Cost in US dollars, from the worker's price table: a decimal with at most <see cref="CostDecimalPlaces"/> decimal
    /// places (the worker rounds each attempt's cost to the micro-dollar; totals are exact sums), written as a JSON
    /// number on the bus and in every API. Default 0.
    /// </summary>
    public decimal CostUsd { get; init; }
}
