namespace RunMesh.Contracts;

/// <summary>
/// What executing something consumed: tokens and their cost. Every value defaults to zero.
/// </summary>
public sealed record Usage
{
    /// <summary>Tokens sent to the executor (the rendered instructions and context). Default 0.</summary>
    public long InputTokens { get; init; }

    /// <summary>Tokens the executor produced. Default 0.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Cost in US dollars, from the worker's price table. Default 0.</summary>
    public decimal CostUsd { get; init; }
}
