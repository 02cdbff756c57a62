namespace RunMesh.PhaseWorker.Executors;

/// <summary>What a model costs, in US dollars per 1,000 tokens.</summary>
internal sealed class ModelPrice
{
    /// <summary>Per 1,000 input (prompt) tokens.</summary>
    public decimal InputPer1kTokens { get; set; }

    /// <summary>Per 1,000 output (completion) tokens.</summary>
    public decimal OutputPer1kTokens { get; set; }
}
